/**
 * Total store order (x86-TSO, Owens/Sarkar/Sewell 2009) layered on a compiled machine: each thread
 * (CPU) has a FIFO store buffer of (shared variable element, value) entries, kept in extra words
 * after the machine's own packed state.
 *
 * - A plain load reads the youngest entry of its own thread's buffer for that element, else memory
 *   (the step's guards and assigns run on memory overlaid with the thread's buffer).
 * - A `store` step appends one entry per shared element it assigns (in element order) and leaves
 *   memory alone; it is disabled while the buffer lacks room for them.
 * - Draining the oldest entry of a thread's buffer to memory is a step of that thread of its own,
 *   labelled `drain(<element>)` (e.g. `drain(mode[vcpu0])`), so a counterexample shows which store
 *   became visible when.
 * - An `rmw` (locked instruction) or `fence` step is enabled only with an empty buffer, and then
 *   writes memory directly: the buffer drains first, as LOCK-prefixed instructions and MFENCE do.
 * - Variables the machine does not declare shared are written directly (sequentially consistent).
 *
 * With `weakAtomics` (the `arm64-like` model: TSO store buffers, plus what the LKMM says of
 * non-value-returning atomics on arm64), a `set_bit` step orders nothing: it is posted to the
 * buffer as an "OR these bits" entry that drains atomically (so no concurrent bit is lost), and a
 * `cmpxchg` that fails is a plain load; one that succeeds is fully ordered. Without it both are
 * locked instructions (x86). Plain stores stay FIFO and loads in order in either case: this is not
 * a model of ARMv8 as a whole (MP and LB remain forbidden).
 *
 * The buffers are bounded (`bufferSize` entries per thread, default 2), which makes the state space
 * finite: a run explores the behaviours in which no thread ever has more stores in flight than that.
 * With `bufferSize` 0 stores write through to memory (sequential consistency; a sanity check).
 * Only safety properties are meaningful here: nothing forces a buffer to drain (no fairness for
 * drains; callers check safety only). Symmetry reduction permutes the buffers with their threads
 * (bufferSymmetry.ts, over `StoreBufferSystem.buffers`).
 */
import type { AnyStateMachine } from 'xstate';
import type { ActionLabel } from '../engine/TransitionSystem.ts';
import { type CompiledSystem, ConventionError, type MachineSystem, type ModelMeta, type StepInfo } from '../xstate/index.ts';

/** The default store buffer bound, in entries per thread. */
export const DEFAULT_BUFFER_SIZE = 2;

const bitsFor = (max: number): number => (max <= 0 ? 1 : 32 - Math.clz32(max));

/** The shared variables a machine declares (root `meta.kvmcheck.shared`). */
export function sharedVariables(machine: AnyStateMachine): readonly string[] {
  const meta = (machine.root.meta as Record<string, ModelMeta | undefined> | undefined)?.kvmcheck;
  return meta?.shared ?? [];
}

/**
 * Where the store buffers are in a state: after the machine's `memoryWords` words, entry k of
 * thread t (k < `slots`, oldest first, 0 when empty) is the `entryBits`-bit field at bit
 * `slotShift[t*slots+k]` of word `slotWord[t*slots+k]`; an entry holds (its shared id + 1) from bit
 * `idShift` up, and below it the or-flag and value. `sharedFields[id]` is the machine's field of a
 * shared id. (For symmetry reduction, bufferSymmetry.ts, which renames the entries.)
 */
export interface StoreBufferLayout {
  readonly memoryWords: number;
  readonly slots: number;
  readonly slotWord: Int32Array;
  readonly slotShift: Int32Array;
  readonly entryBits: number;
  readonly idShift: number;
  readonly sharedFields: readonly number[];
}

/** A system with store buffers: which of its actions are drains, and where the buffers are. */
export interface StoreBufferSystem extends MachineSystem {
  isDrain(action: number): boolean;
  readonly buffers: StoreBufferLayout;
}

export function hasStoreBuffers(system: MachineSystem): system is StoreBufferSystem {
  return 'isDrain' in system;
}

export interface StoreBufferOptions {
  /** Entries per thread (default DEFAULT_BUFFER_SIZE); 0: stores write through. */
  readonly bufferSize?: number;
  /** set_bit and a failed cmpxchg order nothing (arm64-like); default false (x86). */
  readonly weakAtomics?: boolean;
}

/** `inner` (the machine's compiled system) under TSO with per-thread store buffers. */
export function withStoreBuffers(machine: AnyStateMachine, inner: CompiledSystem, options: StoreBufferOptions = {}): StoreBufferSystem {
  const weakAtomics = options.weakAtomics === true;
  const { layout } = inner;
  const W = layout.stateWords;
  const nThreads = layout.threads.length;
  const K = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
  const names = Object.keys(layout.describeVars(new Uint32Array(W)));
  const elementName = (field: number): string => names[field - layout.elementBase]!;

  // shared element fields, their ids (1-based in buffer entries), and the memory words they occupy
  const sharedFields: number[] = [];
  const sharedId = new Int32Array(layout.fieldCount).fill(-1);
  let valueBits = 1;
  for (const name of sharedVariables(machine)) {
    const v = layout.varByName.get(name);
    if (v === undefined) throw new ConventionError(`meta.kvmcheck.shared names '${name}', which is not a declared variable`);
    valueBits = Math.max(valueBits, bitsFor(v.max));
    for (let i = 0; i < v.count; i++) {
      const f = layout.elementBase + v.first + i;
      sharedId[f] = sharedFields.length;
      sharedFields.push(f);
    }
  }
  const sharedMask = new Uint32Array(W);
  for (const f of sharedFields) sharedMask[layout.fieldWord[f]!]! |= layout.fieldMask[f]! << layout.fieldShift[f]!;

  // entry = (shared id + 1) << (valueBits + 1) | or << valueBits | value, where `or` marks a posted
  // set_bit (value = its bits); 0 is an empty slot. Entries never straddle words.
  const entryBits = bitsFor(sharedFields.length) + 1 + valueBits;
  const OR = 2 ** valueBits;
  if (entryBits > 32) throw new ConventionError(`shared variables too wide for a store buffer entry (${entryBits} bits)`);
  const valueMask = valueBits === 32 ? 0xffffffff : (1 << valueBits) - 1;
  const entryMask = entryBits === 32 ? 0xffffffff : ((1 << entryBits) >>> 0) - 1;
  const perWord = Math.floor(32 / entryBits);
  const slotWord = new Int32Array(nThreads * K);
  const slotShift = new Int32Array(nThreads * K);
  for (let s = 0; s < nThreads * K; s++) {
    slotWord[s] = W + Math.floor(s / perWord);
    slotShift[s] = (s % perWord) * entryBits;
  }
  const stateWords = K === 0 ? W : W + Math.ceil((nThreads * K) / perWord);
  const entry = (state: Uint32Array, t: number, k: number): number => (state[slotWord[t * K + k]!]! >>> slotShift[t * K + k]!) & entryMask;
  const setEntry = (state: Uint32Array, t: number, k: number, e: number): void => {
    const w = slotWord[t * K + k]!;
    const s = slotShift[t * K + k]!;
    state[w] = (state[w]! & ~(entryMask << s)) | (e << s);
  };
  const bufferLength = (state: Uint32Array, t: number): number => {
    let k = 0;
    while (k < K && entry(state, t, k) !== 0) k++;
    return k;
  };
  const writeField = (state: Uint32Array, f: number, value: number): void => {
    const w = layout.fieldWord[f]!;
    const s = layout.fieldShift[f]!;
    state[w] = (state[w]! & ~(layout.fieldMask[f]! << s)) | (value << s);
  };
  const fieldOf = (e: number): number => sharedFields[(e >>> (valueBits + 1)) - 1]!;
  /** Applies buffer entry `e` to `state` (a store, or a posted set_bit). */
  const apply = (state: Uint32Array, e: number): void => {
    const f = fieldOf(e);
    writeField(state, f, e & OR ? layout.readField(state, f) | (e & valueMask) : e & valueMask);
  };

  /**
   * Where a step's shared writes go: `direct` (to memory, once the buffer is empty: a locked
   * instruction or a fence, or any store when buffers have no room at all), or `posted` into the
   * thread's buffer (the shared fields it writes, in element order; `setBit`: as an OR of its bits).
   * A step's route depends on the step alone, so it is worked out once per step (by its id).
   */
  interface StepRoute {
    readonly direct: boolean;
    readonly posted: Int32Array;
    readonly setBit: boolean;
  }
  const routes: (StepRoute | undefined)[] = [];
  const routeOf = (t: number, action: number, step: StepInfo): StepRoute => {
    const known = routes[step.id];
    if (known !== undefined) return known;
    const posted = step.written.filter((f) => sharedId[f]! >= 0);
    const access = weakAtomics
      ? step.access === 'cmpxchg' && posted.length === 0
        ? null // a failed cmpxchg: a plain load
        : step.access
      : step.access === 'set_bit' || step.access === 'cmpxchg'
        ? 'rmw' // locked on x86
        : step.access;
    const direct = access === 'rmw' || access === 'fence' || access === 'cmpxchg' || (K === 0 && (access === 'store' || access === 'set_bit'));
    if (!direct) {
      const where = `${layout.threads[t]!.name}.${inner.actions[action]!.name}`;
      if (posted.length > 0 && access !== 'store' && access !== 'set_bit') throw new ConventionError(`${where} writes shared ${elementName(posted[0]!)} but declares no access`);
      if (access === 'set_bit' && (posted.length !== 1 || step.bits > valueMask)) throw new ConventionError(`${where}: a set_bit access writes one shared element`);
    }
    const route = { direct, posted, setBit: access === 'set_bit' };
    routes[step.id] = route;
    return route;
  };
  const base = inner.actions.length;
  const actions: ActionLabel[] = [
    ...inner.actions,
    ...layout.threads.flatMap((_, t) => sharedFields.map((f) => ({ thread: t, name: `drain(${elementName(f)})` }))),
  ];
  const drainAction = (t: number, id: number): number => base + t * sharedFields.length + id;

  let current: Uint32Array = new Uint32Array(stateWords);
  // the loaded state's memory words (a copy: a subarray per load would allocate)
  const memory = new Uint32Array(W);
  const view = new Uint32Array(W);
  const next = new Uint32Array(stateWords);

  /** Points `inner` at memory overlaid with thread t's `length` buffered entries, oldest to youngest. */
  const loadView = (t: number, length: number): void => {
    view.set(memory);
    for (let k = 0; k < length; k++) apply(view, entry(current, t, k));
    inner.load(view);
  };

  // the thread being stepped, its buffer length and the caller's emit, for `onStep` (one closure for every state)
  let stepThread = 0;
  let stepLength = 0;
  let outerEmit: (action: number, next: Uint32Array) => void = () => {};
  const lengths = new Int32Array(nThreads);

  /** Emits thread stepThread's step `n` (computed on its view of memory) under the memory model. */
  const onStep = (action: number, n: Uint32Array, step: StepInfo): void => {
    const t = stepThread;
    const route = routeOf(t, action, step);
    const posted = route.posted;
    if (route.direct ? stepLength > 0 : stepLength + posted.length > K) return; // the buffer drains first, or has no room yet
    for (let w = W; w < stateWords; w++) next[w] = current[w]!;
    if (route.direct) {
      for (let w = 0; w < W; w++) next[w] = n[w]!;
    } else {
      for (let w = 0; w < W; w++) next[w] = (n[w]! & ~sharedMask[w]!) | (current[w]! & sharedMask[w]!);
      let k = stepLength;
      for (let i = 0; i < posted.length; i++) {
        const f = posted[i]!;
        const value = route.setBit ? OR | step.bits : layout.readField(n, f);
        setEntry(next, t, k++, ((sharedId[f]! + 1) << (valueBits + 1)) | value);
      }
    }
    outerEmit(action, next);
  };

  const describeBuffer = (state: Uint32Array, t: number): string => {
    const entries: string[] = [];
    for (let k = 0; k < bufferLength(state, t); k++) {
      const e = entry(state, t, k);
      const f = fieldOf(e);
      const scratch = state.slice(0, W);
      writeField(scratch, f, e & valueMask);
      const name = elementName(f);
      entries.push(`${name}${e & OR ? '|=' : ':='}${String(layout.describeVars(scratch)[name])}`);
    }
    return entries.length === 0 ? 'empty' : entries.join(', ');
  };

  return {
    layout,
    stateWords,
    threads: inner.threads,
    actions,
    initial(out) {
      out.fill(0);
      inner.initial(out.subarray(0, W));
    },
    load(state) {
      current = state;
      for (let w = 0; w < W; w++) memory[w] = state[w]!;
      inner.load(memory);
    },
    successors(emit) {
      for (let t = 0; t < nThreads; t++) lengths[t] = bufferLength(current, t);
      outerEmit = emit;
      for (let t = 0; t < nThreads; t++) {
        const length = lengths[t]!;
        if (length > 0) loadView(t, length);
        stepThread = t;
        stepLength = length;
        inner.threadSuccessors(t, onStep);
        if (length > 0) inner.load(memory);
      }
      for (let t = 0; t < nThreads; t++) {
        if (lengths[t] === 0) continue;
        const e = entry(current, t, 0);
        const id = (e >>> (valueBits + 1)) - 1;
        for (let w = 0; w < stateWords; w++) next[w] = current[w]!;
        apply(next, e);
        for (let k = 0; k + 1 < K; k++) setEntry(next, t, k, entry(current, t, k + 1));
        setEntry(next, t, K - 1, 0);
        emit(drainAction(t, id), next);
      }
    },
    isFinal: () => inner.isFinal(),
    describe(state) {
      const d = inner.describe(state.subarray(0, W));
      if (K === 0) return d;
      const buffers = Object.fromEntries(layout.threads.map((th, t) => [`store_buffer[${th.name}]`, describeBuffer(state, t)]));
      return { threads: d.threads, vars: { ...d.vars, ...buffers } };
    },
    predicate: (fn) => inner.predicate(fn),
    isDrain: (action) => action >= base,
    buffers: { memoryWords: W, slots: K, slotWord, slotShift, entryBits, idShift: valueBits + 1, sharedFields },
  };
}
