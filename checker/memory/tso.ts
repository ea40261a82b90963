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
 * The buffers are bounded (`bufferSize` entries per thread, default 2), which makes the state space
 * finite: a run explores the behaviours in which no thread ever has more stores in flight than that.
 * With `bufferSize` 0 stores write through to memory (sequential consistency; a sanity check).
 * Only safety properties are meaningful here: nothing forces a buffer to drain (no fairness for
 * drains), and the buffers are not permuted by symmetry reduction (callers turn both off).
 */
import type { AnyStateMachine } from 'xstate';
import type { ActionLabel } from '../engine/TransitionSystem.ts';
import { type CompiledSystem, ConventionError, type MachineSystem, type ModelMeta } from '../xstate/index.ts';

/** The default store buffer bound, in entries per thread. */
export const DEFAULT_BUFFER_SIZE = 2;

const bitsFor = (max: number): number => (max <= 0 ? 1 : 32 - Math.clz32(max));

/** The shared variables a machine declares (root `meta.kvmcheck.shared`). */
export function sharedVariables(machine: AnyStateMachine): readonly string[] {
  const meta = (machine.root.meta as Record<string, ModelMeta | undefined> | undefined)?.kvmcheck;
  return meta?.shared ?? [];
}

/** A system with store buffers: which of its actions are drains. */
export interface StoreBufferSystem extends MachineSystem {
  isDrain(action: number): boolean;
}

export function hasStoreBuffers(system: MachineSystem): system is StoreBufferSystem {
  return 'isDrain' in system;
}

/** `inner` (the machine's compiled system) under TSO with per-thread store buffers of `bufferSize` entries. */
export function withStoreBuffers(machine: AnyStateMachine, inner: CompiledSystem, bufferSize = DEFAULT_BUFFER_SIZE): StoreBufferSystem {
  const { layout } = inner;
  const W = layout.stateWords;
  const nThreads = layout.threads.length;
  const K = bufferSize;
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

  // entry = (shared id + 1) << valueBits | value; 0 is an empty slot. Entries never straddle words.
  const entryBits = bitsFor(sharedFields.length) + valueBits;
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

  const base = inner.actions.length;
  const actions: ActionLabel[] = [
    ...inner.actions,
    ...layout.threads.flatMap((_, t) => sharedFields.map((f) => ({ thread: t, name: `drain(${elementName(f)})` }))),
  ];
  const drainAction = (t: number, id: number): number => base + t * sharedFields.length + id;

  let current: Uint32Array = new Uint32Array(stateWords);
  let memory: Uint32Array = current.subarray(0, W);
  const view = new Uint32Array(W);
  const next = new Uint32Array(stateWords);

  /** Points `inner` at memory overlaid with thread t's buffer (oldest to youngest); false if it is empty. */
  const loadView = (t: number, length: number): void => {
    view.set(memory);
    for (let k = 0; k < length; k++) {
      const e = entry(current, t, k);
      writeField(view, sharedFields[(e >>> valueBits) - 1]!, e & valueMask);
    }
    inner.load(view);
  };

  const stepOf = (t: number, length: number) => (action: number, n: Uint32Array, step: { written: Int32Array; access: string | null }, emit: (action: number, next: Uint32Array) => void): void => {
    if (step.access === 'rmw' || step.access === 'fence' || (K === 0 && step.access === 'store')) {
      if (length > 0) return; // the buffer drains first
      next.set(n);
      next.set(current.subarray(W), W);
      emit(action, next);
      return;
    }
    let stores = 0;
    for (let i = 0; i < step.written.length; i++) {
      const f = step.written[i]!;
      if (sharedId[f] < 0) continue;
      if (step.access !== 'store') {
        throw new ConventionError(`${layout.threads[t]!.name}.${inner.actions[action]!.name} writes shared ${elementName(f)} but declares no access (store, rmw or fence)`);
      }
      stores++;
    }
    if (length + stores > K) return; // a full buffer: the store waits for a drain
    for (let w = 0; w < W; w++) next[w] = (n[w]! & ~sharedMask[w]!) | (current[w]! & sharedMask[w]!);
    next.set(current.subarray(W), W);
    let k = length;
    for (let i = 0; i < step.written.length; i++) {
      const f = step.written[i]!;
      if (sharedId[f] >= 0) setEntry(next, t, k++, ((sharedId[f]! + 1) << valueBits) | layout.readField(n, f));
    }
    emit(action, next);
  };

  const describeBuffer = (state: Uint32Array, t: number): string => {
    const entries: string[] = [];
    for (let k = 0; k < bufferLength(state, t); k++) {
      const e = entry(state, t, k);
      const f = sharedFields[(e >>> valueBits) - 1]!;
      const scratch = state.slice(0, W);
      writeField(scratch, f, e & valueMask);
      const name = elementName(f);
      entries.push(`${name}:=${String(layout.describeVars(scratch)[name])}`);
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
      memory = state.subarray(0, W);
      inner.load(memory);
    },
    successors(emit) {
      const lengths = layout.threads.map((_, t) => bufferLength(current, t));
      for (let t = 0; t < nThreads; t++) {
        const length = lengths[t]!;
        if (length > 0) loadView(t, length);
        const step = stepOf(t, length);
        inner.threadSuccessors(t, (action, n, info) => step(action, n, info, emit));
        if (length > 0) inner.load(memory);
      }
      for (let t = 0; t < nThreads; t++) {
        if (lengths[t] === 0) continue;
        const e = entry(current, t, 0);
        const id = (e >>> valueBits) - 1;
        next.set(current);
        writeField(next, sharedFields[id]!, e & valueMask);
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
  };
}
