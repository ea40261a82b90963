/**
 * Replays a counterexample on the XState machine itself, event by event, with XState's own
 * `transition()`: a counterexample that replays is a real path of the model, whichever compiled
 * path found it.
 */
import { expect } from 'vitest';
import { type AnyMachineSnapshot, type AnyStateMachine, initialTransition, transition } from 'xstate';
import type { CounterexampleStep } from '../../checker/report/counterexample.ts';
import type { ViewProperty } from '../../checker/xstate/index.ts';

/** The snapshot after `steps`; fails the test when a step is not enabled or lands elsewhere. */
export function replayOnXState(machine: AnyStateMachine, steps: readonly CounterexampleStep[]): AnyMachineSnapshot {
  let [snapshot] = initialTransition(machine);
  for (const [i, step] of steps.entries()) {
    const [next] = transition(machine, snapshot, { type: `${step.thread}.${step.action}` });
    expect(next, `step ${i + 1} ${step.thread}.${step.action} must be enabled`).not.toBe(snapshot);
    expect((next.value as Record<string, string>)[step.thread], `step ${i + 1} ${step.thread}.${step.action}`).toBe(step.state);
    snapshot = next;
  }
  return snapshot;
}

/** Whether the safety property `name` holds in `snapshot`. */
export function holdsIn(properties: readonly ViewProperty[], name: string, snapshot: AnyMachineSnapshot): boolean {
  const p = properties.find((x) => x.name === name);
  if (p?.kind !== 'always') throw new Error(`no safety property '${name}'`);
  return p.holds({ value: snapshot.value as Record<string, string>, context: snapshot.context as Record<string, unknown> });
}
