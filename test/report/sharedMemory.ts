import type { Trace } from '../../checker/engine/index.ts';
import type { TransitionSystem } from '../../checker/engine/TransitionSystem.ts';

/** One step of a thread: from its program counter `from` to `to`, guarded, writing variables. */
export interface SharedStep {
  readonly thread: number;
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly guard?: (v: Readonly<Record<string, number>>) => boolean;
  readonly update?: (v: Readonly<Record<string, number>>) => Record<string, number>;
}

/**
 * A tiny shared-memory TransitionSystem for report tests: state = one program counter per thread
 * (all start at 0), then the variables (all start at 0). Thread t at pc p shows as `p<p>`.
 */
export function sharedMemory(threads: readonly string[], vars: readonly string[], steps: readonly SharedStep[]): TransitionSystem {
  const T = threads.length;
  let cur: Uint32Array = new Uint32Array(T + vars.length);
  const read = (s: Uint32Array): Record<string, number> => Object.fromEntries(vars.map((v, i) => [v, s[T + i]!]));
  return {
    stateWords: T + vars.length,
    threads,
    actions: steps.map((s) => ({ thread: s.thread, name: s.name })),
    initial: (out) => out.fill(0),
    load: (state) => {
      cur = state;
    },
    successors(emit) {
      steps.forEach((s, a) => {
        const v = read(cur);
        if (cur[s.thread] !== s.from || (s.guard && !s.guard(v))) return;
        const next = cur.slice();
        next[s.thread] = s.to;
        for (const [k, x] of Object.entries(s.update?.(v) ?? {})) next[T + vars.indexOf(k)] = x;
        emit(a, next);
      });
    },
    isFinal: () => false,
    describe: (state) => ({ threads: Object.fromEntries(threads.map((t, i) => [t, `p${state[i]}`])), vars: read(state) }),
  };
}

/** The trace of `system` taking the actions named, in order, from the initial state (throws if one is disabled). */
export function run(system: TransitionSystem, names: readonly string[]): Trace {
  const states = [new Uint32Array(system.stateWords)];
  system.initial(states[0]!);
  const actions = names.map((name) => {
    const a = system.actions.findIndex((x) => x.name === name);
    let next: Uint32Array | null = null;
    system.load(states[states.length - 1]!);
    system.successors((b, s) => {
      if (b === a) next = s.slice();
    });
    if (next === null) throw new Error(`${name} is not enabled`);
    states.push(next);
    return a;
  });
  return { states, actions, loopStart: null };
}
