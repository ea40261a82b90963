/**
 * The compiled path for random schedules over big configurations (checker/fuzz): runs the step
 * tables (machineSteps.ts) directly on a decoded context, one thread at a time — the enabled
 * actions of one thread, the successor of one action — where a search needs every successor of
 * every state. compile.ts tabulates every step by the fields it reads, which pays off when a
 * search revisits the same neighbourhoods; a random walk over 64 vCPUs rarely does, so this path
 * keeps no tables and its memory stays flat over any number of steps. The context is decoded
 * incrementally, field by field, from the words that changed since the last `load`. Same layout,
 * step tables, action ids and emission order as compile.ts.
 */
import type { AnyStateMachine } from 'xstate';
import type { TransitionSystem } from '../engine/TransitionSystem.ts';
import { describeState, labelActions, packInitial, type StateView } from './compile.ts';
import { ConventionError } from './conventions.ts';
import { type Context, StateLayout } from './layout.ts';
import { readMachineSteps, type StepEvent } from './machineSteps.ts';

export interface MachineStepSystem extends TransitionSystem {
  readonly layout: StateLayout;
  /** The loaded state as spec predicates see it (updated in place by every `load`). */
  readonly view: StateView;
  /** Appends the enabled actions of `thread` in the loaded state to `out`, in increasing id. */
  enabledOf(thread: number, out: number[]): void;
  /** Writes the successor of the loaded state by the enabled `action` into `out`. */
  apply(action: number, out: Uint32Array): void;
  /** The state index of `thread` (its program counter) in the loaded state. */
  controlState(thread: number): number;
}

/** Per field of the layout, how to store its decoded value into the view. */
function fieldSetters(layout: StateLayout, value: Record<string, string>, ctx: Context, pcs: Int32Array): ((n: number) => void)[] {
  const setters: ((n: number) => void)[] = layout.threads.map((t, i) => (n: number) => {
    pcs[i] = n;
    value[t.name] = t.states[n]!;
  });
  for (const v of layout.vars) {
    const conv = v.domain.type === 'bool' ? (n: number) => n === 1 : (n: number) => n;
    for (let i = 0; i < v.count; i++) {
      if (v.shape.length === 0) setters.push((n) => (ctx[v.name] = conv(n)));
      else if (v.shape.length === 1) setters.push((n) => ((ctx[v.name] as unknown[])[i] = conv(n)));
      else {
        const m = v.shape[1]!;
        setters.push((n) => ((ctx[v.name] as unknown[][])[Math.floor(i / m)]![i % m] = conv(n)));
      }
    }
  }
  return setters;
}

export function compileStepSystem(machine: AnyStateMachine): MachineStepSystem {
  const layout = new StateLayout(machine);
  const machineSteps = readMachineSteps(machine, layout);
  const { steps } = machineSteps;
  const actions = labelActions(layout, machineSteps);
  const W = layout.stateWords;
  const nThreads = layout.threads.length;
  const init = new Uint32Array(W);
  packInitial(machine, layout, init);
  // eventAt[a][pc]: the event of action a at its thread's state pc, if that state accepts it
  const eventAt: (StepEvent | undefined)[][] = actions.map(() => []);
  for (const states of steps) {
    states.forEach((events, pc) => {
      for (const ev of events) eventAt[ev.action]![pc] = ev;
    });
  }
  const value: Record<string, string> = layout.value(init);
  const context: Context = layout.readContext(init);
  const pcs = Int32Array.from(layout.threads, (_, t) => layout.threadState(init, t));
  const setters = fieldSetters(layout, value, context, pcs);
  // the fields in each word, to decode only the words that changed
  const fieldsOfWord: number[][] = Array.from({ length: W }, () => []);
  for (let f = 0; f < layout.fieldCount; f++) fieldsOfWord[layout.fieldWord[f]!]!.push(f);
  const decoded = init.slice();
  let current: Uint32Array = init;
  const next = new Uint32Array(W);
  const enabled: number[] = [];

  const enabledOf = (t: number, out: number[]): void => {
    for (const ev of steps[t]![pcs[t]!]!) {
      for (const cand of ev.candidates) {
        if (cand.guard === null || cand.guard(context)) {
          out.push(ev.action);
          break;
        }
      }
    }
  };

  const apply = (a: number, out: Uint32Array): void => {
    const t = actions[a]!.thread;
    const cand = eventAt[a]![pcs[t]!]?.candidates.find((c) => c.guard === null || c.guard(context));
    if (cand === undefined) throw new Error(`kvmcheck: action ${layout.threads[t]!.name}.${actions[a]!.name} is not enabled in the loaded state`);
    out.set(current);
    layout.setThreadState(out, t, cand.target);
    let ctx: Context = context;
    const written = new Set<string>();
    for (const assign of cand.assigns) {
      const partial = assign(ctx);
      for (const key of Object.keys(partial)) written.add(key);
      ctx = cand.assigns.length === 1 ? partial : { ...ctx, ...partial };
    }
    for (const key of written) {
      const v = layout.varByName.get(key);
      if (v === undefined) throw new ConventionError(`${layout.threads[t]!.name}: an assign writes context.${key}, which has no declared domain`);
      layout.writeVar(out, v, ctx[key]);
    }
  };

  return {
    layout,
    view: { value, context },
    stateWords: W,
    threads: layout.threads.map((t) => t.name),
    actions,
    initial(out) {
      out.set(init);
    },
    load(state) {
      current = state;
      for (let w = 0; w < W; w++) {
        const word = state[w]!;
        if (word === decoded[w]) continue;
        decoded[w] = word;
        for (const f of fieldsOfWord[w]!) setters[f]!((word >>> layout.fieldShift[f]!) & layout.fieldMask[f]!);
      }
    },
    enabledOf,
    apply,
    controlState: (t) => pcs[t]!,
    successors(emit) {
      for (let t = 0; t < nThreads; t++) {
        enabled.length = 0;
        enabledOf(t, enabled);
        for (const a of enabled) {
          apply(a, next);
          emit(a, next);
        }
      }
    },
    isFinal() {
      for (let t = 0; t < nThreads; t++) if (!layout.threads[t]!.isFinal[pcs[t]!]) return false;
      return true;
    },
    describe: (state) => describeState(layout, state),
  };
}
