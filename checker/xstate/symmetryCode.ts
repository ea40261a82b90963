/**
 * The symmetry canonicalizer's common case as one generated function (symmetry.ts keeps the
 * general algorithm and the slow path): every enumerated group ordered by its members' packed
 * invariant keys, then the sorted group sorted by its members' data — each by a sorting network on
 * locals, with every field's word, shift and mask inline. The general algorithm's loops over
 * records held in arrays, with a call per codec, cost twice as much (guest-mode 3x2: 128 against
 * 60 ns a call, scratch micro-benchmark over the successors of a million representatives).
 *
 * The result is the one the general algorithm computes: a sorting network and an insertion sort
 * put the same keys in the same order, and members whose keys are equal are either identical (so
 * their order does not matter) or make the generated function give up (a tie: the slow path
 * enumerates the tied orders).
 */
import { chunksOf, concatSource, recordBits, splitSource } from './fieldCode.ts';
import type { StateLayout } from './layout.ts';

/** An enumerated group, as the generated code orders it. */
export interface EnumeratedCode {
  /** Per member, its fields no other symmetric group indexes. */
  readonly fixed: readonly (readonly number[])[];
  /** Per other symmetric group: per member, its tuples (one per member of that group) of fields. */
  readonly cross: readonly (readonly (readonly (readonly number[])[])[])[];
  /** Per member, its fields (its data, which an order of the group permutes). */
  readonly members: readonly (readonly number[])[];
}

/** Sets keys[i] to the packed invariant key of member i, for every member i. */
export type PackedKeys = (s: Uint32Array, keys: Int32Array) => void;

/** Canonicalizes `s` in place and returns true, or returns false (leaving `s` in its orbit) on a tie. */
export type FastCanonicalize = (s: Uint32Array) => boolean;

/** Most members of a group the generated code takes (a network has about n^2/2 comparators). */
export const MAX_GENERATED_MEMBERS = 16;

/** Odd-even transposition sort: n rounds of adjacent comparators sort n items. */
function network(n: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let round = 0; round < n; round++) for (let j = round % 2; j + 1 < n; j += 2) pairs.push([j, j + 1]);
  return pairs;
}

/** Source of `a > b` for records held in locals a_0 .. a_{c-1} and b_0 .. (lexicographic). */
function greater(a: (k: number) => string, b: (k: number) => string, chunks: number): string {
  let expr = `${a(chunks - 1)} > ${b(chunks - 1)}`;
  for (let k = chunks - 2; k >= 0; k--) expr = `${a(k)} > ${b(k)} || (${a(k)} === ${b(k)} && (${expr}))`;
  return expr;
}

const wordLocal = (w: number): string => `w${w}`;

/** Source declaring the locals w0, w1, ... (the words of `s`) and a temporary t. */
const loadWords = (layout: StateLayout): string => `let ${Array.from({ length: layout.stateWords }, (_, w) => `w${w} = s[${w}] | 0`).join(', ')}, t = 0;`;

/**
 * Source setting local k{i} to member i's packed invariant key: its fixed data, then each cross
 * group's tuples, sorted by a network (permuting that group reorders them), concatenated with shifts.
 */
function keySource(layout: StateLayout, keys: Pick<EnumeratedCode, 'fixed' | 'cross'>, i: number): string[] {
  const lines = [`let k${i} = ${concatSource(layout, keys.fixed[i]!, wordLocal)};`];
  for (const byMember of keys.cross) {
    const tuples = byMember[i]!;
    const bits = recordBits(layout, tuples[0]!);
    lines.push(`{ let ${tuples.map((tuple, j) => `u${j} = ${concatSource(layout, tuple, wordLocal)}`).join(', ')};`);
    for (const [a, b] of network(tuples.length)) lines.push(`if (u${a} > u${b}) { t = u${a}; u${a} = u${b}; u${b} = t; }`);
    lines.push(`k${i} = ${tuples.reduce((key, _, j) => `((${key}) << ${bits}) | u${j}`, `k${i}`)}; }`);
  }
  return lines;
}

/** Generates PackedKeys for keys that fit one chunk (CHUNK_BITS) each. */
export function packedKeysCode(layout: StateLayout, keys: Pick<EnumeratedCode, 'fixed' | 'cross'>): PackedKeys {
  const lines = [loadWords(layout)];
  for (let i = 0; i < keys.fixed.length; i++) lines.push(...keySource(layout, keys, i), `keys[${i}] = k${i};`);
  return new Function(`return function packedKeys(s, keys) {\n${lines.join('\n')}\n};`)() as PackedKeys;
}

/** Source of locals `${name}${i}_${k}` := chunk k of record i (records cut by `chunksOf`), from the words in locals w0, w1, ... */
function readRecords(layout: StateLayout, chunks: readonly (readonly number[])[][], name: string): string {
  return `let ${chunks.flatMap((ch, i) => ch.map((fields, k) => `${name}${i}_${k} = ${concatSource(layout, fields, wordLocal)}`)).join(', ')};`;
}

/** Source writing chunk k of local record `${name}${i}_${k}` into record i's fields of `s` (words from locals w0, w1, ...). */
function writeRecords(layout: StateLayout, chunks: readonly (readonly number[])[][], name: string): string {
  const W = layout.stateWords;
  const clear = new Uint32Array(W);
  const terms: string[][] = Array.from({ length: W }, () => []);
  chunks.forEach((ch, i) => {
    ch.forEach((fields, k) => {
      for (const { word, bits, source } of splitSource(layout, fields, `${name}${i}_${k}`)) {
        clear[word]! |= bits;
        terms[word]!.push(source);
      }
    });
  });
  return terms.flatMap((ts, w) => (ts.length === 0 ? [] : [`s[${w}] = w${w} = (w${w} & ${~clear[w]! | 0}) | ${ts.join(' | ')};`])).join(' ');
}

/**
 * Generates the fast path for a sorted group (`sorted`: per member, its fields) and enumerated
 * groups whose invariant keys each fit one chunk.
 */
export function fastCanonicalCode(layout: StateLayout, sorted: readonly (readonly number[])[], enumerated: readonly EnumeratedCode[]): FastCanonicalize {
  const lines = [loadWords(layout)];
  for (const e of enumerated) {
    const n = e.members.length;
    const chunks = e.members.map((fields) => chunksOf(layout, fields));
    const c = chunks[0]!.length;
    lines.push('{');
    for (let i = 0; i < n; i++) lines.push(...keySource(layout, e, i));
    lines.push(`let ${Array.from({ length: n }, (_, i) => `o${i} = ${i}`).join(', ')};`);
    for (const [a, b] of network(n)) lines.push(`if (k${a} > k${b}) { t = k${a}; k${a} = k${b}; k${b} = t; t = o${a}; o${a} = o${b}; o${b} = t; }`);
    // equal keys: identical members (their order does not matter), or a tie for the slow path
    lines.push(readRecords(layout, chunks, 'm'));
    const member = (o: string, k: number): string => Array.from({ length: n - 1 }, (_, j) => `${o} === ${j} ? m${j}_${k} : `).join('') + `m${n - 1}_${k}`;
    for (let i = 0; i + 1 < n; i++) {
      const differ = Array.from({ length: c }, (_, k) => `(${member(`o${i}`, k)}) !== (${member(`o${i + 1}`, k)})`).join(' || ');
      lines.push(`if (k${i} === k${i + 1} && (${differ})) return false;`);
    }
    const moved = Array.from({ length: n }, (_, i) => `o${i} !== ${i}`).join(' || ');
    lines.push(`if (${moved}) {`, `let ${chunks.flatMap((ch, i) => ch.map((_, k) => `p${i}_${k} = ${member(`o${i}`, k)}`)).join(', ')};`, writeRecords(layout, chunks, 'p'), '}', '}');
  }
  const n = sorted.length;
  if (n > 1) {
    const chunks = sorted.map((fields) => chunksOf(layout, fields));
    const c = chunks[0]!.length;
    const a = (i: number) => (k: number) => `a${i}_${k}`;
    lines.push(readRecords(layout, chunks, 'a'), 'let moved = false;');
    for (const [x, y] of network(n)) {
      const swap = Array.from({ length: c }, (_, k) => `t = ${a(x)(k)}; ${a(x)(k)} = ${a(y)(k)}; ${a(y)(k)} = t;`).join(' ');
      lines.push(`if (${greater(a(x), a(y), c)}) { ${swap} moved = true; }`);
    }
    lines.push(`if (moved) { ${writeRecords(layout, chunks, 'a')} }`);
  }
  lines.push('return true;');
  return new Function(`return function fastCanonicalize(s) {\n${lines.join('\n')}\n};`)() as FastCanonicalize;
}
