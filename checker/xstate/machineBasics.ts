/**
 * What every TransitionSystem built from a checked machine shares — compiled (compile.ts),
 * interpreted by XState (interpret.ts) or stepped one thread at a time (stepMachine.ts): the
 * layout, the step tables, the action labels, the packed initial state, and the TransitionSystem
 * members that follow from them. So all three agree on encoding, action ids and names.
 */
import type { AnyStateMachine } from 'xstate';
import { initialTransition } from 'xstate';
import type { ActionLabel, TransitionSystem } from '../engine/TransitionSystem.ts';
import { type Context, StateLayout } from './layout.ts';
import { type MachineSteps, readMachineSteps } from './machineSteps.ts';

/** Names an action for reports: the event type without its `<thread>.` prefix. */
function actionName(thread: string, eventType: string): string {
  return eventType.startsWith(`${thread}.`) ? eventType.slice(thread.length + 1) : eventType;
}

export interface MachineBasics {
  readonly layout: StateLayout;
  readonly machineSteps: MachineSteps;
  /** The machine's initial state (from XState's own `initialTransition`), packed. */
  readonly init: Uint32Array;
  /** The TransitionSystem members every front-end has in common. */
  readonly members: Pick<TransitionSystem, 'stateWords' | 'threads' | 'actions' | 'initial' | 'describe'> & { readonly layout: StateLayout };
}

export function machineBasics(machine: AnyStateMachine): MachineBasics {
  const layout = new StateLayout(machine);
  const machineSteps = readMachineSteps(machine, layout);
  const actions: ActionLabel[] = machineSteps.actions.map(({ thread, eventType }) => ({ thread, name: actionName(layout.threads[thread]!.name, eventType) }));
  const [snapshot] = initialTransition(machine);
  const init = new Uint32Array(layout.stateWords);
  layout.pack(snapshot.value as Record<string, string>, snapshot.context as Context, init);
  return {
    layout,
    machineSteps,
    init,
    members: {
      layout,
      stateWords: layout.stateWords,
      threads: layout.threads.map((t) => t.name),
      actions,
      initial(out) {
        out.set(init);
      },
      describe: (state) => ({ threads: layout.value(state), vars: layout.describeVars(state) }),
    },
  };
}
