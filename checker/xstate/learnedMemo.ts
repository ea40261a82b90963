/**
 * Tabulates a pure function of a packed state by the values of the fields it reads (a PINS-style
 * transition cache whose dependency set is learned rather than declared).
 *
 * Soundness: the function is deterministic and pure, so two states that agree on every field one
 * run of it read make it read the same fields with the same values and return the same result.
 * The memo keys every entry on `fields`, a superset of the fields read by every run so far; a run
 * that reads a field outside it grows `fields` and drops the table (old keys are too short).
 *
 * The key is the fields' values concatenated, read by generated code (fieldCode.ts) as one or more
 * 31-bit chunks. A key of at most DENSE_BITS bits indexes an array; a longer one an open-addressing
 * table of its chunks.
 */
import { hashWords } from '../engine/hash.ts';
import { type RecordReader, type RecordsCodec, recordReader, recordsCodec } from './fieldCode.ts';
import type { StateLayout } from './layout.ts';
import type { FieldRecorder } from './readTracking.ts';

const EMPTY = -1;
/** Keys of at most this many bits index a dense array directly. */
const DENSE_BITS = 16;
const NO_FIELDS: RecordReader = () => 0;

export class LearnedMemo<R> {
  private fields: number[] = [];
  /** Reads the whole key when it fits one chunk (else unused). */
  private single: RecordReader = NO_FIELDS;
  /** Reads the key's chunks into `key`. */
  private codec: RecordsCodec | null = null;
  private chunks = 1;
  private key = new Int32Array(1);
  private keyWords = new Uint32Array(this.key.buffer);
  private dense: (R | undefined)[] | null = [undefined];
  /** The open-addressing table (keys too long for `dense`): slot -> entry id; entry id -> key chunks. */
  private slots = new Int32Array(16).fill(EMPTY);
  private keys = new Int32Array(0);
  private results: R[] = [];

  /** `onRekey` is called whenever the key's fields grow (the table is then empty again). */
  constructor(
    private readonly layout: StateLayout,
    private readonly onRekey: () => void,
  ) {}

  /** The fields the key is made of, in key order (first most significant). */
  get keyFields(): readonly number[] {
    return this.fields;
  }

  /** The dense table indexed by the key (see `recordReader` of `keyFields`), or null when the key is too long for one. */
  get denseTable(): (R | undefined)[] | null {
    return this.dense;
  }

  /** True when the key no longer fits one small integer (lookups hash several words). */
  get wide(): boolean {
    return this.chunks > 1;
  }

  /**
   * The result for `state`: from the table, or by `compute(a, b)` (which must record into `rec`,
   * after `rec.reset()`, every field it reads) on a miss. The arguments spare a closure per call.
   */
  get<A, B>(state: Uint32Array, rec: FieldRecorder, compute: (a: A, b: B) => R, a: A, b: B): R {
    if (this.dense !== null) {
      const hit = this.dense[this.single(state)];
      return hit !== undefined ? hit : this.miss(state, rec, compute, a, b);
    }
    this.readKey(state);
    const id = this.slots[this.slotOf(this.key, 0, this.keys)]!;
    return id !== EMPTY ? this.results[id]! : this.miss(state, rec, compute, a, b);
  }

  private readKey(state: Uint32Array): void {
    if (this.chunks === 1) this.key[0] = this.single(state);
    else this.codec!.read(state, this.key);
  }

  private miss<A, B>(state: Uint32Array, rec: FieldRecorder, compute: (a: A, b: B) => R, a: A, b: B): R {
    rec.reset();
    const result = compute(a, b);
    const added = rec.list.filter((f) => !this.fields.includes(f));
    if (added.length > 0) this.rekey([...this.fields, ...added].sort((x, y) => x - y));
    if (this.dense !== null) this.dense[this.single(state)] = result;
    else this.insert(state, result);
    return result;
  }

  /**
   * The slot holding the key at `from` in `src` (`chunks` chunks), or the free slot where it goes.
   * The key is hashed from `key` (copied there when it comes from elsewhere).
   */
  private slotOf(src: Int32Array, from: number, entries: Int32Array): number {
    const n = this.chunks;
    const m = this.slots.length - 1;
    if (src !== this.key) for (let i = 0; i < n; i++) this.key[i] = src[from + i]!;
    let s = hashWords(this.keyWords, n) & m;
    for (;;) {
      const id = this.slots[s]!;
      if (id === EMPTY) return s;
      let k = 0;
      while (k < n && entries[id * n + k] === src[from + k]) k++;
      if (k === n) return s;
      s = (s + 1) & m;
    }
  }

  private insert(state: Uint32Array, result: R): void {
    const n = this.chunks;
    const id = this.results.length;
    this.readKey(state);
    if ((id + 1) * n > this.keys.length) {
      const grown = new Int32Array(Math.max(64, this.keys.length * 2));
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys.set(this.key.subarray(0, n), id * n);
    this.results.push(result);
    if ((id + 1) * 4 > this.slots.length * 3) {
      this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
      for (let e = 0; e < this.results.length; e++) this.slots[this.slotOf(this.keys, e * n, this.keys)] = e;
    } else this.slots[this.slotOf(this.keys, id * n, this.keys)] = id;
  }

  private rekey(fields: number[]): void {
    const L = this.layout;
    this.fields = fields;
    const codec = recordsCodec(L, [fields]);
    this.codec = codec;
    this.chunks = Math.max(1, codec.chunks);
    this.single = this.chunks === 1 ? recordReader(L, fields) : NO_FIELDS;
    this.key = new Int32Array(this.chunks);
    this.keyWords = new Uint32Array(this.key.buffer);
    this.dense = this.chunks === 1 && codec.bits <= DENSE_BITS ? new Array<R | undefined>(2 ** codec.bits).fill(undefined) : null;
    this.slots = new Int32Array(16).fill(EMPTY);
    this.keys = new Int32Array(0);
    this.results = [];
    this.onRekey();
  }
}
