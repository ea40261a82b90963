/**
 * Straight-line readers and writers of packed bit fields, generated once per field list with
 * `new Function` (the source is built from the layout's integers only). A loop over the layout's
 * field tables costs three table loads per field; generated code has every word, shift and mask
 * inline, which is what the hot paths (memo keys, symmetry signatures) are made of.
 *
 * A *record* is an ordered list of fields (a memo key, or one member's data for symmetry). It is
 * read as `chunks` integers: its fields concatenated, first field most significant, cut into
 * chunks of at most 31 bits, so records compare as numbers chunk by chunk.
 */
import type { StateLayout } from './layout.ts';

/** Most bits of one chunk: a chunk is a non-negative small integer. */
export const CHUNK_BITS = 31;

const widthOf = (layout: StateLayout, f: number): number => 32 - Math.clz32(layout.fieldMask[f]!);

/** Bits of a record: its fields' widths added up. */
export const recordBits = (layout: StateLayout, fields: readonly number[]): number => fields.reduce((a, f) => a + widthOf(layout, f), 0);

/** Cuts a record's fields into consecutive chunks of at most CHUNK_BITS bits. */
export function chunksOf(layout: StateLayout, fields: readonly number[]): number[][] {
  const chunks: number[][] = [[]];
  let bits = 0;
  for (const f of fields) {
    const w = widthOf(layout, f);
    if (bits + w > CHUNK_BITS && chunks[chunks.length - 1]!.length > 0) {
      chunks.push([]);
      bits = 0;
    }
    chunks[chunks.length - 1]!.push(f);
    bits += w;
  }
  return chunks;
}

/**
 * The source of an expression reading `fields` of state `s` concatenated (the value `recordReader`
 * returns); `word(w)` is the source of the state's word w.
 */
export function concatSource(layout: StateLayout, fields: readonly number[], word = (w: number): string => `s[${w}]`): string {
  if (fields.length === 0) return '0';
  let below = 0;
  const terms: string[] = [];
  for (let i = fields.length - 1; i >= 0; i--) {
    const f = fields[i]!;
    const field = `((${word(layout.fieldWord[f]!)} >>> ${layout.fieldShift[f]}) & ${layout.fieldMask[f]})`;
    terms.push(below === 0 ? field : `(${field} << ${below})`);
    below += widthOf(layout, f);
  }
  return terms.join(' | ');
}

/** One field's share of a chunk being written back: its word, its bits there, and the source of its value in place. */
export interface FieldWrite {
  readonly word: number;
  readonly bits: number;
  readonly source: string;
}

/**
 * The inverse of `concatSource`: per field of `fields` (a chunk), the source of its bits, in place in
 * its word, taken from the chunk value `value` (the source of an expression).
 */
export function splitSource(layout: StateLayout, fields: readonly number[], value: string): FieldWrite[] {
  const writes: FieldWrite[] = [];
  let below = 0;
  for (let k = fields.length - 1; k >= 0; k--) {
    const f = fields[k]!;
    const m = layout.fieldMask[f]!;
    const shift = layout.fieldShift[f]!;
    const bits = below === 0 ? `(${value} & ${m})` : `((${value} >>> ${below}) & ${m})`;
    writes.push({ word: layout.fieldWord[f]!, bits: (m << shift) >>> 0, source: shift === 0 ? bits : `(${bits} << ${shift})` });
    below += widthOf(layout, f);
  }
  return writes;
}

/** Reads one record: its single chunk as a number (bits <= CHUNK_BITS). */
export type RecordReader = (s: Uint32Array) => number;

/** Reads `fields` (at most CHUNK_BITS bits in all) as one integer. */
export function recordReader(layout: StateLayout, fields: readonly number[]): RecordReader {
  const bits = recordBits(layout, fields);
  if (bits > CHUNK_BITS) throw new RangeError(`a record of ${bits} bits does not fit one chunk`);
  return new Function('s', `return ${concatSource(layout, fields)};`) as RecordReader;
}

/**
 * Reads and writes a list of records cut into the same number of chunks (e.g. the members of a
 * symmetric group, or one field per thread): `read` puts record i's chunks at out[i*chunks ..];
 * `write` gives record position i the chunks of record order[i] from `values` (as `read` laid them
 * out), which keeps the state well formed when the records have the same field widths.
 */
export interface RecordsCodec {
  readonly records: number;
  readonly chunks: number;
  /** Bits of the first record (all its chunks). */
  readonly bits: number;
  read(s: Uint32Array, out: Int32Array): void;
  write(s: Uint32Array, values: Int32Array, order: Int32Array): void;
}

/** A codec for `records` (lists of fields), which must cut into the same number of chunks. */
export function recordsCodec(layout: StateLayout, records: readonly (readonly number[])[]): RecordsCodec {
  const split = records.map((r) => chunksOf(layout, r));
  const chunks = split[0]?.length ?? 0;
  if (split.some((c) => c.length !== chunks)) throw new RangeError('records of different chunk counts');
  const reads: string[] = [];
  // every field of every record is rewritten: clear them all per word, then OR the new bits in
  const clear = new Map<number, number>();
  const writes: string[] = [];
  split.forEach((recordChunks, i) => {
    recordChunks.forEach((fields, c) => {
      reads.push(`out[${i * chunks + c}] = ${concatSource(layout, fields)};`);
      writes.push(`x = values[order[${i}] * ${chunks} + ${c}];`);
      for (const { word, bits, source } of splitSource(layout, fields, 'x')) {
        clear.set(word, (clear.get(word) ?? 0) | bits);
        writes.push(`s[${word}] |= ${source};`);
      }
    });
  });
  const clears = [...clear].map(([w, m]) => `s[${w}] &= ${~m};`);
  return {
    records: records.length,
    chunks,
    bits: recordBits(layout, records[0] ?? []),
    read: new Function('s', 'out', reads.join('\n')) as RecordsCodec['read'],
    write: new Function('s', 'values', 'order', ['let x = 0;', ...clears, ...writes].join('\n')) as RecordsCodec['write'],
  };
}
