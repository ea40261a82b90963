/**
 * Tabulates a pure function of a packed state by the values of the fields it reads (a PINS-style
 * transition cache whose dependency set is learned rather than declared).
 *
 * Soundness: the function is deterministic and pure, so two states that agree on every field one
 * run of it read make it read the same fields with the same values and return the same result.
 * The memo keys every entry on `fields`, a superset of the fields read by every run so far; a run
 * that reads a field outside it grows `fields` and drops the table (old keys are too short).
 */
import { hashWords } from '../engine/hash.ts';
import type { FieldRecorder } from './readTracking.ts';
import type { StateLayout } from './layout.ts';

const EMPTY = -1;
/** Keys of at most this many bits index a dense array directly; up to 31 bits, a Map. */
const DENSE_BITS = 16;
const PACKED_BITS = 31;

export class LearnedMemo<R> {
  private fields: number[] = [];
  private word = new Int32Array(0);
  private shift = new Int32Array(0);
  private mask = new Uint32Array(0);
  private key = new Uint32Array(0);
  private keys = new Uint32Array(0);
  private results: R[] = [];
  private slots = new Int32Array(16).fill(EMPTY);
  /** Total key bits when they fit one small integer (fast paths), else -1. */
  private packedBits = 0;
  private dense: (R | undefined)[] | null = [undefined];
  private packed: Map<number, R> | null = null;

  constructor(private readonly layout: StateLayout) {}

  /** Entries held (for tests and statistics). */
  get size(): number {
    return this.results.length;
  }

  /** True when the key no longer fits one small integer (lookups hash several words). */
  get wide(): boolean {
    return this.packedBits < 0;
  }

  /** The fields the memo keys on, in order. */
  get keyFields(): readonly number[] {
    return this.fields;
  }

  /**
   * The result for `state`: from the table, or by `compute(a, b)` (which must record into `rec`,
   * after `rec.reset()`, every field it reads) on a miss. The arguments spare a closure per call.
   */
  get<A, B>(state: Uint32Array, rec: FieldRecorder, compute: (a: A, b: B) => R, a: A, b: B): R {
    if (this.packedBits >= 0) {
      const k = this.packedKey(state);
      const hit = this.dense !== null ? this.dense[k] : this.packed!.get(k);
      if (hit !== undefined) return hit;
      return this.miss(state, rec, compute, a, b);
    }
    const n = this.fields.length;
    const key = this.key;
    for (let i = 0; i < n; i++) key[i] = (state[this.word[i]!]! >>> this.shift[i]!) & this.mask[i]!;
    const hit = this.find(key, n);
    if (hit >= 0) return this.results[hit]!;
    return this.miss(state, rec, compute, a, b);
  }

  /** The key as one integer: the fields' values concatenated (valid when packedBits >= 0). */
  private packedKey(state: Uint32Array): number {
    let k = 0;
    const n = this.fields.length;
    for (let i = 0; i < n; i++) {
      const m = this.mask[i]!;
      k = k * (m + 1) + ((state[this.word[i]!]! >>> this.shift[i]!) & m);
    }
    return k;
  }

  private miss<A, B>(state: Uint32Array, rec: FieldRecorder, compute: (a: A, b: B) => R, a: A, b: B): R {
    rec.reset();
    const result = compute(a, b);
    if (rec.list.some((f) => !this.fields.includes(f))) {
      this.rekey([...this.fields, ...rec.list.filter((f) => !this.fields.includes(f))].sort((a, b) => a - b));
      for (let i = 0; i < this.fields.length; i++) this.key[i] = (state[this.word[i]!]! >>> this.shift[i]!) & this.mask[i]!;
    }
    if (this.packedBits >= 0) {
      const k = this.packedKey(state);
      if (this.dense !== null) this.dense[k] = result;
      else this.packed!.set(k, result);
      this.results.push(result);
    } else this.insert(result);
    return result;
  }

  private slotOf(key: Uint32Array, n: number): number {
    const m = this.slots.length - 1;
    let s = hashWords(key, n) & m;
    for (;;) {
      const id = this.slots[s]!;
      if (id === EMPTY) return s;
      let same = true;
      for (let i = 0; i < n; i++) {
        if (this.keys[id * n + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) return s;
      s = (s + 1) & m;
    }
  }

  private find(key: Uint32Array, n: number): number {
    return this.slots[this.slotOf(key, n)]!;
  }

  private insert(result: R): void {
    const n = this.fields.length;
    const id = this.results.length;
    if ((id + 1) * n > this.keys.length) {
      const grown = new Uint32Array(Math.max(64, this.keys.length * 2, (id + 1) * n));
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys.set(this.key.subarray(0, n), id * n);
    this.results.push(result);
    if ((id + 1) * 4 > this.slots.length * 3) this.rehash(this.slots.length * 2);
    else this.slots[this.slotOf(this.key, n)] = id;
  }

  private rehash(size: number): void {
    const n = this.fields.length;
    this.slots = new Int32Array(size).fill(EMPTY);
    for (let id = 0; id < this.results.length; id++) {
      this.slots[this.slotOf(this.keys.subarray(id * n, id * n + n), n)] = id;
    }
  }

  private rekey(fields: number[]): void {
    const L = this.layout;
    this.fields = fields;
    this.word = Int32Array.from(fields, (f) => L.fieldWord[f]!);
    this.shift = Int32Array.from(fields, (f) => L.fieldShift[f]!);
    this.mask = Uint32Array.from(fields, (f) => L.fieldMask[f]!);
    this.key = new Uint32Array(fields.length);
    this.keys = new Uint32Array(0);
    this.results = [];
    this.slots = new Int32Array(16).fill(EMPTY);
    const bits = fields.reduce((acc, f) => acc + (32 - Math.clz32(L.fieldMask[f]!)), 0);
    this.packedBits = bits <= PACKED_BITS ? bits : -1;
    this.dense = bits <= DENSE_BITS ? new Array<R | undefined>(2 ** bits).fill(undefined) : null;
    this.packed = bits > DENSE_BITS && bits <= PACKED_BITS ? new Map() : null;
  }
}
