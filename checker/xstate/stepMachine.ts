/**
 * The compiled path for random schedules over big configurations (checker/fuzz): runs the step
 * tables (machineSteps.ts) directly on a decoded context, one thread at a time — the enabled
 * actions of one thread, the successor of one action — where a search needs every successor of
 * every state. compile.ts tabulates every step by the fields it reads, which pays off when a
 * search revisits the same neighbourhoods; a random walk over 64 vCPUs rarely does, so this path
 * keeps no tables and its memory stays flat over any number of steps. The context is decoded
 * incrementally: `load` decodes only the fields that changed since the last one (and tells
 * watchers which), and a successor rewrites only the elements an assign changed. Same layout,
 * step tables, action ids and emission order as compile.ts.
 */
import type { AnyStateMachine } from 'xstate';
import type { TransitionSystem } from '../engine/TransitionSystem.ts';
import type { StateView } from './compile.ts';
import { ConventionError } from './conventions.ts';
import type { Context, StateLayout, VarLayout } from './layout.ts';
import { machineBasics } from './machineBasics.ts';
import type { Candidate, StepEvent } from './machineSteps.ts';

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
  /**
   * From now on, every `load` calls `changed` with each field (layout.ts numbering) whose value
   * differs from the previously loaded state's (so a watcher can keep derived values up to date).
   */
  watch(changed: (field: number) => void): void;
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
  const basics = machineBasics(machine);
  const { layout, machineSteps, init } = basics;
  const { steps } = machineSteps;
  const { actions } = basics.members;
  const W = layout.stateWords;
  const nThreads = layout.threads.length;
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
  // the field at each bit of each word (-1: unused bits), to decode only the fields that changed
  const fieldAt = new Int32Array(32 * W).fill(-1);
  for (let f = 0; f < layout.fieldCount; f++) {
    const at = 32 * layout.fieldWord[f]! + layout.fieldShift[f]!;
    fieldAt.fill(f, at, at + 32 - Math.clz32(layout.fieldMask[f]!));
  }
  const decoded = init.slice();
  let current: Uint32Array = init;
  const next = new Uint32Array(W);
  const enabled: number[] = [];
  const watchers: ((field: number) => void)[] = [];

  /** Element i of v in `out` := x, when x is plainly in v's domain (else false, nothing written). */
  const writeElement = (out: Uint32Array, v: VarLayout, i: number, x: unknown): boolean => {
    const n = v.domain.type === 'bool' ? (x === true ? 1 : x === false ? 0 : -1) : typeof x === 'number' && Number.isInteger(x) ? x : -1;
    if (n < 0 || n > v.max) return false;
    layout.setElement(out, v, i, n);
    return true;
  };

  /**
   * Writes the elements of `value` (assigned to v) that differ from the loaded state's (an assign
   * copies a whole row to change one element). Anything not plainly in v's declared shape and
   * domain goes through layout.writeVar, which reports it.
   */
  const writeChanged = (out: Uint32Array, v: VarLayout, value: unknown): void => {
    const old = context[v.name];
    if (value === old) return;
    let ok = true;
    if (v.shape.length === 0) ok = writeElement(out, v, 0, value);
    else if (v.shape.length === 1) ok = writeRow(out, v, 0, value, old as readonly unknown[]);
    else if (Array.isArray(value) && value.length === v.shape[0]) {
      const m = v.shape[1]!;
      const oldRows = old as readonly (readonly unknown[])[];
      for (let r = 0; r < value.length && ok; r++) ok = writeRow(out, v, r * m, value[r], oldRows[r]!);
    } else ok = false;
    if (!ok) layout.writeVar(out, v, value);
  };

  /** The row of v's elements from `first`: writes those of `row` that differ from `old`. */
  const writeRow = (out: Uint32Array, v: VarLayout, first: number, row: unknown, old: readonly unknown[]): boolean => {
    if (row === old) return true;
    if (!Array.isArray(row) || row.length !== old.length) return false;
    for (let i = 0; i < row.length; i++) if (row[i] !== old[i] && !writeElement(out, v, first + i, row[i])) return false;
    return true;
  };

  // loads so far; per action, the candidate enabledOf found it takes and at which load
  let loads = 0;
  const takenAt = new Int32Array(actions.length).fill(-1);
  const taken: (Candidate | undefined)[] = actions.map(() => undefined);

  /** The candidate action a takes in the loaded state, if it is enabled. */
  const candidateOf = (a: number): Candidate | undefined => {
    if (takenAt[a] === loads) return taken[a];
    const candidates = eventAt[a]![pcs[actions[a]!.thread]!]?.candidates ?? [];
    for (const c of candidates) if (c.guard === null || c.guard(context)) return c;
    return undefined;
  };

  const enabledOf = (t: number, out: number[]): void => {
    for (const ev of steps[t]![pcs[t]!]!) {
      for (const cand of ev.candidates) {
        if (cand.guard === null || cand.guard(context)) {
          out.push(ev.action);
          // guards are pure: apply in the same loaded state takes this candidate without re-running them
          taken[ev.action] = cand;
          takenAt[ev.action] = loads;
          break;
        }
      }
    }
  };

  const apply = (a: number, out: Uint32Array): void => {
    const t = actions[a]!.thread;
    const cand = candidateOf(a);
    if (cand === undefined) throw new Error(`kvmcheck: action ${layout.threads[t]!.name}.${actions[a]!.name} is not enabled in the loaded state`);
    out.set(current);
    layout.setThreadState(out, t, cand.target);
    // the variables the assigns wrote, with their last values
    let written: Context;
    if (cand.assigns.length === 1) written = cand.assigns[0]!(context);
    else {
      written = {};
      let ctx: Context = context;
      for (const assign of cand.assigns) {
        const partial = assign(ctx);
        written = { ...written, ...partial };
        ctx = { ...ctx, ...partial };
      }
    }
    for (const key in written) {
      const v = layout.varByName.get(key);
      if (v === undefined) throw new ConventionError(`${layout.threads[t]!.name}: an assign writes context.${key}, which has no declared domain`);
      writeChanged(out, v, written[key]);
    }
  };

  return {
    ...basics.members,
    view: { value, context },
    load(state) {
      current = state;
      loads++;
      for (let w = 0; w < W; w++) {
        const word = state[w]!;
        const diff = word ^ decoded[w]!;
        if (diff === 0) continue;
        decoded[w] = word;
        // from the lowest changed bit up, one changed field at a time
        for (let rest = diff; rest !== 0; ) {
          const f = fieldAt[32 * w + 31 - Math.clz32(rest & -rest)]!;
          const shift = layout.fieldShift[f]!;
          const mask = layout.fieldMask[f]!;
          rest &= ~(mask << shift);
          setters[f]!((word >>> shift) & mask);
          for (let i = 0; i < watchers.length; i++) watchers[i]!(f);
        }
      }
    },
    watch(changed) {
      watchers.push(changed);
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
  };
}
