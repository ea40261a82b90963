/**
 * What the fuzzer needs of a model: a TransitionSystem that can also list one thread's enabled
 * actions and compute one successor, so that a random schedule pays for the thread it runs and
 * not for every thread's successors. `stepSystem` adapts any plain TransitionSystem (at the cost
 * of computing all successors of each state once).
 */
import type { TransitionSystem } from '../engine/TransitionSystem.ts';

export interface StepSystem extends TransitionSystem {
  /**
   * Appends to `out` the enabled actions of thread `thread` in the loaded state, in increasing
   * action id (the same actions `successors` emits for that thread).
   */
  enabledOf(thread: number, out: number[]): void;
  /** Writes into `out` the successor of the loaded state by `action`, which must be enabled. */
  apply(action: number, out: Uint32Array): void;
  /**
   * The control state (program point) of `thread` in the loaded state, when the system knows it:
   * bursts that `loop` (schedule.ts) count only the steps that change it.
   */
  controlState?(thread: number): number;
}

/** A StepSystem over a plain TransitionSystem: the loaded state's successors, computed once. */
export function stepSystem(system: TransitionSystem): StepSystem {
  const W = system.stateWords;
  let actions: number[] = [];
  let nexts = new Uint32Array(0);
  let fresh = false;
  const expand = (): void => {
    if (fresh) return;
    actions = [];
    system.successors((a, next) => {
      if (nexts.length < (actions.length + 1) * W) {
        const grown = new Uint32Array(Math.max(2 * nexts.length, (actions.length + 1) * W));
        grown.set(nexts);
        nexts = grown;
      }
      nexts.set(next, actions.length * W);
      actions.push(a);
    });
    fresh = true;
  };
  return {
    stateWords: W,
    threads: system.threads,
    actions: system.actions,
    initial: (out) => system.initial(out),
    load(state) {
      system.load(state);
      fresh = false;
    },
    successors: (emit) => system.successors(emit),
    isFinal: () => system.isFinal(),
    describe: (state) => system.describe(state),
    enabledOf(thread, out) {
      expand();
      for (const a of actions) if (system.actions[a]!.thread === thread) out.push(a);
    },
    apply(action, out) {
      expand();
      const i = actions.indexOf(action);
      if (i < 0) throw new Error(`kvmcheck fuzz: action ${system.actions[action]?.name ?? action} is not enabled in the loaded state`);
      out.set(nexts.subarray(i * W, (i + 1) * W));
    },
  };
}
