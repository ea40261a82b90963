/**
 * The compiled path: turns a checked machine into the engine's TransitionSystem by running its step
 * tables (machineSteps.ts) over packed states. Per loaded state, the context is decoded once into
 * a reused object; guards and assigns run as plain function calls; a successor is the loaded
 * words with the target thread state and the assigned variables rewritten.
 */
import type { AnyStateMachine } from 'xstate';
import type { TransitionSystem } from '../engine/TransitionSystem.ts';
import { ConventionError, type MemoryAccess } from './conventions.ts';
import type { Context, StateLayout, VarLayout } from './layout.ts';
import { recordsCodec } from './fieldCode.ts';
import { LearnedMemo } from './learnedMemo.ts';
import { machineBasics } from './machineBasics.ts';
import { conjunctionCode, EditTable, type MemoLookUp, SettledCode, successorCode, type WordEdits } from './memoCode.ts';
import type { StepEvent } from './machineSteps.ts';
import { conjunctsOf } from './properties.ts';
import { createTrackingView, FieldRecorder, TRACKED, type TrackedElements } from './readTracking.ts';

/** What a spec predicate sees: the configuration (state key per thread) and the context. */
export interface StateView {
  readonly value: Readonly<Record<string, string>>;
  readonly context: Readonly<Context>;
}

/** A TransitionSystem built from an XState machine. */
export interface MachineSystem extends TransitionSystem {
  readonly layout: StateLayout;
  /** Binds a view predicate to the current (loaded) state. */
  predicate(fn: (s: StateView) => boolean): () => boolean;
}

/** What a step of one thread did, for a memory model layered on the compiled system (checker/memory/). */
export interface StepInfo {
  /** The step's number: equal steps share one (0, 1, 2, ... as steps are first met), so layers can keep tables per step. */
  readonly id: number;
  /** The variable-element fields the step assigned (whether or not the value changed). */
  readonly written: Int32Array;
  /** The access the taken transition declares. */
  readonly access: MemoryAccess | null;
  /** The bits of a `set_bit` access. */
  readonly bits: number;
}

/** The compiled system, with its steps also available one thread at a time. */
export interface CompiledSystem extends MachineSystem {
  /** Calls `emit` for each enabled step of thread `t` in the loaded state, in increasing action id. */
  threadSuccessors(t: number, emit: (action: number, next: Uint32Array, step: StepInfo) => void): void;
}

/** One successor of one thread: its action and, per word, the bits it keeps and the bits it sets. */
interface ThreadSuccessor extends StepInfo, WordEdits {}

/** The step number of a disabled event. */
const NO_STEP = -1;

export interface CompileOptions {
  /**
   * How many loaded states' successors (or property tests) are looked up memo by memo, with no memo
   * growing its key, before one generated function takes over (memoCode.ts; default 256). 0: at
   * once; Infinity: never (tests compare both).
   */
  readonly generateAfter?: number;
}

/**
 * Compiles `machine` (built to the conventions in conventions.ts) into a TransitionSystem.
 * Each thread's steps at each of its states are tabulated lazily: the guards and assigns run once
 * per distinct value of the fields they read (learnedMemo.ts), after which a successor costs a
 * table lookup and a few word edits. Properties bound with `predicate` are tabulated the same way.
 */
export function compileMachine(machine: AnyStateMachine, options: CompileOptions = {}): CompiledSystem {
  const basics = machineBasics(machine);
  const { layout, machineSteps, init } = basics;
  const W = layout.stateWords;
  const nThreads = layout.threads.length;
  const finals = layout.threads.map((t) => t.isFinal);
  let current: Uint32Array = new Uint32Array(W);
  const next = new Uint32Array(W);
  const scratch = new Uint32Array(W);
  let loads = 0;
  // every thread's state index (its field is the thread's index), read by generated code when
  // something asks for it (the generated successor code reads the thread states itself)
  const readPcs = recordsCodec(layout, layout.threads.map((_, t) => [t])).read;
  const pcs = new Int32Array(nThreads);
  let pcsAt = -1;
  const pcsOf = (): Int32Array => {
    if (pcsAt !== loads) {
      readPcs(current, pcs);
      pcsAt = loads;
    }
    return pcs;
  };
  const rec = new FieldRecorder(layout.fieldCount);
  // the loaded state decoded into plain objects, refreshed at most once per load
  const decoded = { value: layout.value(init), context: layout.readContext(init) };
  let decodedAt = -1;
  const decodedView = (): StateView => {
    if (decodedAt !== loads) {
      layout.refreshContext(current, decoded.context);
      const pc = pcsOf();
      for (let t = 0; t < nThreads; t++) decoded.value[layout.threads[t]!.name] = layout.threads[t]!.states[pc[t]!]!;
      decodedAt = loads;
    }
    return decoded;
  };
  const tracking = createTrackingView(layout, rec);
  const generateAfter = options.generateAfter ?? 256;
  // successors enumerated by one generated function once the memos settle
  const generated = new SettledCode(generateAfter, () => successorCode(layout, allThreads, eventMemos, editTable));
  // and one per thread, emitting each successor's step (threadSuccessors, for layers that step one thread at a time)
  const threadGenerated = layout.threads.map((_, t) => new SettledCode(generateAfter, () => successorCode(layout, [t], eventMemos, editTable, steps)));
  // Each event's memo holds a step number (NO_STEP: disabled): equal steps are one entry of
  // `steps` and of `editTable`, however many keys lead to them. A memo that grows its key makes
  // its thread's code and the all-threads code stale.
  const memos = machineSteps.steps.map((states, t) =>
    states.map((events) =>
      events.map(
        () =>
          new LearnedMemo<number>(layout, () => {
            generated.unsettle();
            threadGenerated[t]!.unsettle();
          }),
      ),
    ),
  );
  const steps: ThreadSuccessor[] = [];
  const stepNumbers = new Map<string, number>();
  const editTable = new EditTable(W);

  /**
   * The word edits (keep, set) that turn `current` into `scratch`: fields in `always` are written whatever
   * the current value (the step wrote them without reading them), fields in `ifChanged` only when
   * they differ (their current value is part of the memo key).
   */
  const editsTo = (always: readonly number[], ifChanged: readonly number[]): { keep: Int32Array; set: Int32Array } => {
    const keep = new Int32Array(W).fill(-1);
    const set = new Int32Array(W);
    const add = (f: number): void => {
      const w = layout.fieldWord[f]!;
      const m = layout.fieldMask[f]! << layout.fieldShift[f]!;
      keep[w]! &= ~m;
      set[w] = (set[w]! & ~m) | (scratch[w]! & m);
    };
    for (const f of always) add(f);
    for (const f of ifChanged) if (layout.readField(scratch, f) !== layout.readField(current, f)) add(f);
    return { keep, set };
  };

  /**
   * Unwraps an assigned value into plain arrays and marks, per flat element, whether the step
   * only carried it over from the state (a copy it did not write, or the state's own array).
   */
  const unwrap = (v: VarLayout, value: unknown): { plain: unknown; carried: boolean[] } => {
    const carried: boolean[] = [];
    const n = v.shape[v.shape.length - 1]!;
    // an element is carried only when it comes from the same element of the same variable
    const row = (x: unknown, r: number): unknown => {
      const tracked = (x as { [TRACKED]?: TrackedElements } | null | undefined)?.[TRACKED];
      const own = tracked !== undefined && tracked.base === layout.elementBase + v.first + r * n;
      if (Array.isArray(x)) for (let i = 0; i < x.length; i++) carried.push(own && (tracked!.written === null || !tracked!.written[i]));
      if (tracked === undefined) return x;
      // copied elsewhere: the elements it carries were read after all
      if (!own) for (let i = 0; i < tracked.values.length; i++) if (tracked.written === null || !tracked.written[i]) rec.mark(tracked.base + i);
      return tracked.values;
    };
    if (v.shape.length === 0) return { plain: value, carried: [false] };
    if (v.shape.length === 1) return { plain: row(value, 0), carried };
    return { plain: Array.isArray(value) ? value.map(row) : value, carried };
  };

  /** Runs one event's guards and assigns on the current state, recording the fields they read. */
  const computeEvent = (t: number, ev: StepEvent): Omit<ThreadSuccessor, 'id'> | null => {
    tracking.point(current);
    const { context } = tracking.view;
    for (const cand of ev.candidates) {
      if (cand.guard !== null && !cand.guard(context)) continue;
      scratch.set(current);
      layout.setThreadState(scratch, t, cand.target);
      let ctx: Context = context;
      const written = new Set<string>();
      for (const assign of cand.assigns) {
        const partial = assign(ctx);
        for (const key of Object.keys(partial)) written.add(key);
        ctx = cand.assigns.length === 1 ? partial : { ...ctx, ...partial };
      }
      const always: number[] = [];
      const ifChanged: number[] = [t];
      for (const key of written) {
        const v = layout.varByName.get(key);
        if (v === undefined) throw new ConventionError(`${layout.threads[t]!.name}: an assign writes context.${key}, which has no declared domain`);
        const { plain, carried } = unwrap(v, ctx[key]);
        layout.writeVar(scratch, v, plain);
        for (let i = 0; i < v.count; i++) {
          const f = layout.elementBase + v.first + i;
          if (carried[i]) continue; // equal to the state's own value, in every state
          (rec.has(f) ? ifChanged : always).push(f);
        }
      }
      const writtenFields = Int32Array.from([...always, ...ifChanged.slice(1)]);
      return { action: ev.action, ...editsTo(always, ifChanged), written: writtenFields, access: cand.access, bits: cand.bits };
    }
    return null;
  };

  /** computeEvent's step as a step number. */
  const computeStep = (t: number, ev: StepEvent): number => {
    const step = computeEvent(t, ev);
    if (step === null) return NO_STEP;
    // every field of the step, its Int32Arrays as plain arrays: steps equal in all of them are one
    const key = JSON.stringify(step, (_, v: unknown) => (v instanceof Int32Array ? Array.from(v) : v));
    let n = stepNumbers.get(key);
    if (n === undefined) {
      n = editTable.add(step);
      steps.push({ ...step, id: n });
      stepNumbers.set(key, n);
    }
    return n;
  };

  const eventMemos: MemoLookUp<number>[][][] = memos.map((states, t) =>
    states.map((events, pc) => events.map((memo, i) => ({ memo, lookUp: (s: Uint32Array) => memo.get(s, rec, computeStep, t, machineSteps.steps[t]![pc]![i]!) }))),
  );
  const allThreads = layout.threads.map((_, t) => t);

  /** Thread t's successors, looked up memo by memo. */
  function memoThreadSuccessors(t: number, emit: (action: number, next: Uint32Array, step: StepInfo) => void): void {
    const pc = pcsOf()[t]!;
    const events = machineSteps.steps[t]![pc]!;
    const eventMemos = memos[t]![pc]!;
    for (let i = 0; i < events.length; i++) {
      const n = eventMemos[i]!.get(current, rec, computeStep, t, events[i]!);
      if (n === NO_STEP) continue;
      const s = steps[n]!;
      const { keep, set } = s;
      for (let w = 0; w < W; w++) next[w] = (current[w]! & keep[w]!) | set[w]!;
      emit(s.action, next, s);
    }
  }

  function threadSuccessors(t: number, emit: (action: number, next: Uint32Array, step: StepInfo) => void): void {
    const settled = threadGenerated[t]!;
    if (settled.code !== null) {
      settled.code(current, next, emit);
      return;
    }
    memoThreadSuccessors(t, emit);
    settled.used();
  }

  return {
    ...basics.members,
    load(state) {
      current = state;
      loads++;
    },
    successors(emit) {
      const code = generated.code;
      if (code !== null) {
        code(current, next, emit);
        return;
      }
      for (let t = 0; t < nThreads; t++) memoThreadSuccessors(t, emit);
      generated.used();
    },
    threadSuccessors,
    isFinal() {
      const pc = pcsOf();
      for (let t = 0; t < nThreads; t++) if (!finals[t]![pc[t]!]) return false;
      return true;
    },
    // Each conjunct (properties.ts allOf) is tabulated while its key is small; one that reads too
    // much of the state to tabulate well is evaluated on the decoded state instead (decoded once
    // per loaded state). Once the memos settle, one generated function tests them all.
    predicate(fn) {
      const generatedTest = new SettledCode(generateAfter, () => conjunctionCode(layout, conjuncts));
      const conjuncts: MemoLookUp<boolean>[] = conjunctsOf(fn).map((c) => {
        const memo = new LearnedMemo<boolean>(layout, generatedTest.unsettle);
        const compute = (): boolean => {
          tracking.point(current);
          return c(tracking.view);
        };
        return { memo, lookUp: (s) => (memo.wide ? c(decodedView()) : memo.get(s, rec, compute, 0, undefined)) };
      });
      return () => {
        const test = generatedTest.code;
        if (test !== null) return test(current);
        let holds = true;
        for (let i = 0; i < conjuncts.length && holds; i++) holds = conjuncts[i]!.lookUp(current);
        generatedTest.used();
        return holds;
      };
    },
  };
}
