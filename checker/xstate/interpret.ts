/**
 * The reference path: a TransitionSystem whose successors come from XState's own pure
 * `transition()`, one event at a time. Slow (~0.1 M transitions/s), but it is XState's semantics by
 * definition; tests and `bench` compare the compiled path against it.
 */
import type { AnyStateMachine, AnyMachineSnapshot } from 'xstate';
import { transition } from 'xstate';
import type { Context } from './layout.ts';
import { StateLayout } from './layout.ts';
import { readMachineSteps } from './machineSteps.ts';
import { describeState, labelActions, type MachineSystem, packInitial, type StateView } from './compile.ts';

export function interpretMachine(machine: AnyStateMachine): MachineSystem {
  const layout = new StateLayout(machine);
  const machineSteps = readMachineSteps(machine, layout);
  const actions = labelActions(layout, machineSteps);
  const eventTypes = machineSteps.actions.map((a) => ({ type: a.eventType }));
  const W = layout.stateWords;
  const next = new Uint32Array(W);
  let snapshot: AnyMachineSnapshot | undefined;
  let view: StateView = { value: {}, context: {} };
  return {
    layout,
    predicate: (fn) => () => fn(view),
    stateWords: W,
    threads: layout.threads.map((t) => t.name),
    actions,
    initial(out) {
      packInitial(machine, layout, out);
    },
    load(state) {
      const value = layout.value(state);
      const context = layout.readContext(state);
      snapshot = machine.resolveState({ value, context });
      view = { value, context };
    },
    successors(emit) {
      const s = snapshot!;
      for (let a = 0; a < eventTypes.length; a++) {
        const [after] = transition(machine, s, eventTypes[a]!);
        if (after === s) continue;
        layout.pack(after.value as Record<string, string>, after.context as Context, next);
        emit(a, next);
      }
    },
    isFinal() {
      return snapshot!.status === 'done';
    },
    describe: (state) => describeState(layout, state),
  };
}
