/** Replaying a counterexample on the XState machine itself, with XState's own `transition()`. */
import { expect } from 'vitest';
import { type AnyMachineSnapshot, type AnyStateMachine, initialTransition, transition } from 'xstate';
import type { CounterexampleStep } from '../../checker/report/counterexample.ts';
import type { ViewProperty } from '../../checker/xstate/index.ts';

/**
 * Replays `steps` (event `<thread>.<action>` each) from the machine's initial state; each step must
 * be enabled and leave its thread in the state the step names. Returns every snapshot, initial first.
 */
export function replaySnapshots(machine: AnyStateMachine, steps: readonly CounterexampleStep[]): AnyMachineSnapshot[] {
  let [snapshot] = initialTransition(machine);
  const snapshots: AnyMachineSnapshot[] = [snapshot];
  for (const step of steps) {
    const [next] = transition(machine, snapshot, { type: `${step.thread}.${step.action}` });
    expect(next, `step ${step.thread}.${step.action} must be enabled`).not.toBe(snapshot);
    expect((next.value as Record<string, string>)[step.thread]).toBe(step.state);
    snapshots.push(next);
    snapshot = next;
  }
  return snapshots;
}

/** The names of the safety properties `snapshot` violates. */
export function brokenAt(properties: readonly ViewProperty[], snapshot: AnyMachineSnapshot): string[] {
  const view = { value: snapshot.value as Record<string, string>, context: snapshot.context };
  return properties.flatMap((p) => (p.kind === 'always' && !p.holds(view) ? [p.name] : []));
}
