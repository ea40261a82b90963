/**
 * The reference path: a TransitionSystem whose successors come from XState's own pure
 * `transition()`, one event at a time. Slow (~0.1 M transitions/s), but it is XState's semantics by
 * definition; tests and `bench` compare the compiled path against it.
 */
import type { AnyStateMachine, AnyMachineSnapshot } from 'xstate';
import { transition } from 'xstate';
import type { MachineSystem, StateView } from './compile.ts';
import type { Context } from './layout.ts';
import { machineBasics } from './machineBasics.ts';

export function interpretMachine(machine: AnyStateMachine): MachineSystem {
  const basics = machineBasics(machine);
  const { layout, machineSteps } = basics;
  const eventTypes = machineSteps.actions.map((a) => ({ type: a.eventType }));
  const W = layout.stateWords;
  const next = new Uint32Array(W);
  let snapshot: AnyMachineSnapshot | undefined;
  let view: StateView = { value: {}, context: {} };
  return {
    ...basics.members,
    predicate: (fn) => () => fn(view),
    load(state) {
      const value = layout.value(state);
      const context = layout.readContext(state);
      snapshot = machine.resolveState({ value, context });
      view = { value, context };
    },
    // XState decides every step; it is only asked about the events the threads' current states
    // handle (any other event leaves the snapshot as it is), in increasing action id.
    successors(emit) {
      const s = snapshot!;
      const value = s.value as Record<string, string>;
      layout.threads.forEach((thread, t) => {
        for (const ev of machineSteps.steps[t]![thread.states.indexOf(value[thread.name]!)]!) {
          const [after] = transition(machine, s, eventTypes[ev.action]!);
          if (after === s) continue;
          layout.pack(after.value as Record<string, string>, after.context as Context, next);
          emit(ev.action, next);
        }
      });
    },
    isFinal() {
      return snapshot!.status === 'done';
    },
  };
}
