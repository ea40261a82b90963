/**
 * Symmetry reduction for interchangeable threads: a canonicalizer mapping every state to the
 * canonical representative of its orbit under the permutations of the symmetric groups.
 *
 * The largest group is sorted by its members' local data (thread state, then every variable
 * column indexed by them): O(n log n) instead of n! permutations. Each other group is first
 * ordered by a key that no permutation of the other groups changes (its fixed data, then its
 * cross-group tuples sorted); only members whose keys tie are enumerated, and the smallest result
 * of sorting the largest group under each candidate order is kept. Usually nothing ties, so one
 * sort does: that common case runs as one generated function (symmetryCode.ts) where the keys fit
 * one chunk each and no group is big; this module's loops serve the other layouts and the ties.
 */
import { ConventionError } from './conventions.ts';
import type { Canonicalize } from '../engine/types.ts';
import { CHUNK_BITS, type RecordsCodec, recordsCodec } from './fieldCode.ts';
import type { StateLayout } from './layout.ts';
import { type EnumeratedCode, fastCanonicalCode, MAX_GENERATED_MEMBERS, type PackedKeys, packedKeysCode } from './symmetryCode.ts';

/** A group's members and a codec of their local data (each member's signature, as chunks). */
interface GroupPlan {
  readonly members: number;
  readonly codec: RecordsCodec;
}

function memberFields(layout: StateLayout, group: string, members: readonly string[]): number[][] {
  return members.map((name, i) => {
    const fields: number[] = [];
    const t = layout.threads.findIndex((th) => th.name === name);
    if (t >= 0) fields.push(t);
    for (const v of layout.vars) {
      (v.domain.dims ?? []).forEach((d, p) => {
        if (d !== group) return;
        const stride = v.shape.slice(p + 1).reduce((a, b) => a * b, 1);
        for (let flat = 0; flat < v.count; flat++) {
          if (Math.floor(flat / stride) % v.shape[p]! === i) fields.push(layout.elementBase + v.first + flat);
        }
      });
    }
    return fields;
  });
}

/**
 * The invariant keys of a group enumerated by order: per member, its fields that no other
 * symmetric group indexes (`fixed`), and per other symmetric group h one tuple of fields per
 * member of h (`cross`, sorted per member when the key is built, since permuting h reorders them).
 */
interface InvariantPlan {
  readonly fixed: RecordsCodec;
  /** One record per (member, tuple), member-major: member i's tuples are records i*tuples .. i*tuples+tuples-1. */
  readonly cross: readonly { readonly codec: RecordsCodec; readonly tuples: number }[];
  /** Chunks of one member's key (1 when `packed`). */
  readonly keyLength: number;
  /** When every key fits one chunk (fixed data and sorted tuples concatenated into one integer): its generated reader. */
  readonly packed: PackedKeys | null;
  /** The fields behind `fixed` (per member) and `cross` (per other group, per member, per tuple). */
  readonly fields: Pick<EnumeratedCode, 'fixed' | 'cross'>;
}

function invariantPlan(layout: StateLayout, group: string, symmetric: readonly string[]): InvariantPlan {
  const members = layout.groups[group]!;
  const fixed = members.map((): number[] => []);
  const crossByGroup = new Map<string, number[][][]>(); // other group -> member -> tuple j -> fields
  members.forEach((name, member) => {
    const t = layout.threads.findIndex((th) => th.name === name);
    if (t >= 0) fixed[member]!.push(t);
  });
  for (const v of layout.vars) {
    const dims = v.domain.dims ?? [];
    const p = dims.indexOf(group);
    if (p < 0) continue;
    const other = dims.length === 2 ? dims[1 - p]! : undefined;
    const base = layout.elementBase + v.first;
    const at = (i: number, j: number): number => base + (p === 0 ? i * v.shape[1]! + j : j * v.shape[1]! + i);
    members.forEach((_, member) => {
      if (other === undefined) fixed[member]!.push(base + member);
      else if (!symmetric.includes(other)) for (let j = 0; j < v.shape[1 - p]!; j++) fixed[member]!.push(at(member, j));
      else {
        const byMember = crossByGroup.get(other) ?? members.map(() => Array.from({ length: v.shape[1 - p]! }, () => [] as number[]));
        byMember[member]!.forEach((tuple, j) => {
          tuple.push(at(member, j));
        });
        crossByGroup.set(other, byMember);
      }
    });
  }
  const fields = { fixed, cross: [...crossByGroup.values()] };
  const fixedCodec = recordsCodec(layout, fixed);
  const cross = fields.cross.map((byMember) => ({ codec: recordsCodec(layout, byMember.flat()), tuples: byMember[0]!.length }));
  const keyBits = fixedCodec.bits + cross.reduce((a, c) => a + c.tuples * c.codec.bits, 0);
  const packed = keyBits <= CHUNK_BITS;
  return {
    fixed: fixedCodec,
    cross,
    keyLength: packed ? 1 : fixedCodec.chunks + cross.reduce((a, c) => a + c.tuples * c.codec.chunks, 0),
    packed: packed ? packedKeysCode(layout, fields) : null,
    fields,
  };
}

/** All permutations of 0..n-1, as Int32Arrays (n is small). */
function permutations(n: number): Int32Array[] {
  if (n <= 1) return [Int32Array.from({ length: n }, (_, i) => i)];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, at) => Int32Array.from([...p.slice(0, at), n - 1, ...p.slice(at)])),
  );
}

/** Above this many enumerated permutations the canonicalizer refuses (declare fewer symmetric threads). */
const MAX_ENUMERATED = 720;

/** One element of the symmetry group: where each thread's state and each field's value go. */
export interface FieldPermutation {
  /** Thread t's state goes to thread `threads[t]`. */
  readonly threads: Int32Array;
  /** Field f's value goes to field `fields[f]` (field t is thread t's state). */
  readonly fields: Int32Array;
}

/**
 * Every permutation of the symmetric groups' members, applied together (the identity first): a
 * member moving to another position takes its thread state along (when it is a thread) and its
 * index along every axis its group indexes — the orbits whose representatives
 * `symmetryCanonicalizer` picks. For layers that add state of their own to a thread (store
 * buffers), which then permute it alongside.
 */
export function symmetryGroup(layout: StateLayout): FieldPermutation[] {
  const threadOf = new Map(layout.threads.map((t, i) => [t.name, i]));
  const identity = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
  let group: FieldPermutation[] = [{ threads: identity(layout.threads.length), fields: identity(layout.fieldCount) }];
  for (const name of layout.symmetric) {
    const members = layout.groups[name]!;
    const moves = permutations(members.length);
    if (group.length * moves.length > MAX_ENUMERATED) throw new ConventionError(`symmetry: more than ${MAX_ENUMERATED} permutations of the symmetric groups to enumerate; declare fewer symmetric threads`);
    const step = moves.map((to) => {
      const threads = identity(layout.threads.length);
      const fields = identity(layout.fieldCount);
      members.forEach((m, i) => {
        const t = threadOf.get(m);
        if (t !== undefined) threads[t] = fields[t] = threadOf.get(members[to[i]!]!)!;
      });
      for (const v of layout.vars) {
        const dims = v.domain.dims ?? [];
        for (let flat = 0; flat < v.count; flat++) {
          // row-major index along each axis; the axes this group indexes move
          let rest = flat;
          let image = 0;
          let stride = v.count;
          for (let a = 0; a < v.shape.length; a++) {
            stride /= v.shape[a]!;
            const i = Math.floor(rest / stride);
            rest -= i * stride;
            image += (dims[a] === name ? to[i]! : i) * stride;
          }
          fields[layout.elementBase + v.first + flat] = layout.elementBase + v.first + image;
        }
      }
      return { threads, fields };
    });
    group = group.flatMap((g) => step.map((h) => ({ threads: g.threads.map((t) => h.threads[t]!), fields: g.fields.map((f) => h.fields[f]!) })));
  }
  const id = group.findIndex((g) => g.fields.every((to, f) => to === f));
  return [group[id]!, ...group.slice(0, id), ...group.slice(id + 1)];
}

/** Compares the records a and b of `len` chunks each in `xs` (lexicographically). */
function compareRecords(xs: Int32Array, a: number, b: number, len: number): number {
  for (let k = 0; k < len; k++) {
    const d = xs[a * len + k]! - xs[b * len + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Sorts the n records of `len` chunks at xs[from ..] in place (insertion sort: n is small). */
function sortRecords(xs: Int32Array, from: number, n: number, len: number): void {
  for (let x = 1; x < n; x++) {
    for (let y = x; y > 0; y--) {
      let cmp = 0;
      for (let z = 0; z < len && cmp === 0; z++) cmp = xs[from + (y - 1) * len + z]! - xs[from + y * len + z]!;
      if (cmp <= 0) break;
      for (let z = 0; z < len; z++) {
        const a = from + (y - 1) * len + z;
        const b = from + y * len + z;
        const tmp = xs[a]!;
        xs[a] = xs[b]!;
        xs[b] = tmp;
      }
    }
  }
}

/** Results of ordering an enumerated group by invariant key. */
const IDENTITY = 0;
const PERMUTED = 1;
const TIED = 2;

export interface SymmetryOptions {
  /**
   * Run the common case as generated code: where the layout allows it (default), always (a RangeError
   * where it does not), or never (tests compare both).
   */
  readonly generated?: boolean;
}

/** Returns an in-place canonicalizer for the layout's symmetric groups, or null when it has none. */
export function symmetryCanonicalizer(layout: StateLayout, options: SymmetryOptions = {}): Canonicalize | null {
  const names = layout.symmetric;
  const fieldsOf = names.map((name) => {
    const members = layout.groups[name];
    if (!members) throw new ConventionError(`symmetric group '${name}' is not declared in groups`);
    const fields = memberFields(layout, name, members);
    const widths = (f: readonly number[]): string => f.map((x) => layout.fieldMask[x]).join(',');
    if (fields.some((f) => widths(f) !== widths(fields[0]!))) throw new ConventionError(`symmetric group '${name}': its members' data must have the same widths`);
    return fields;
  });
  const plans: GroupPlan[] = fieldsOf.map((fields) => ({ members: fields.length, codec: recordsCodec(layout, fields) }));
  if (plans.length === 0) return null;
  const sortedIndex = plans.reduce((best, p, i) => (p.members > plans[best]!.members ? i : best), 0);
  const sorted = plans[sortedIndex]!;
  const enumerated = plans.flatMap((plan, g) => (g === sortedIndex ? [] : [{ plan, invariant: invariantPlan(layout, names[g]!, names), group: g }]));
  const maxN = Math.max(...plans.map((p) => p.members));
  const maxChunks = Math.max(1, ...plans.map((p) => p.codec.chunks));
  const maxKey = Math.max(1, ...enumerated.map((e) => e.invariant.keyLength));
  const maxCross = Math.max(1, ...enumerated.flatMap((e) => e.invariant.cross.map((c) => c.codec.records * c.codec.chunks)));
  const order = new Int32Array(maxN);
  const values = new Int32Array(maxN * maxChunks);
  const crossValues = new Int32Array(maxCross);
  const invariantKeys = new Int32Array(maxN * maxKey);
  const W = layout.stateWords;
  const original = new Uint32Array(W);
  const candidate = new Uint32Array(W);

  /** Sorts the sorted group by its members' data (equal members are identical: insertion sort, in place). */
  const sortGroup = (state: Uint32Array): void => {
    const n = sorted.members;
    const len = sorted.codec.chunks;
    sorted.codec.read(state, values);
    for (let i = 0; i < n; i++) order[i] = i;
    let identity = true;
    for (let i = 1; i < n; i++) {
      const x = order[i]!;
      let j = i - 1;
      while (j >= 0 && compareRecords(values, order[j]!, x, len) > 0) {
        order[j + 1] = order[j]!;
        j--;
        identity = false;
      }
      order[j + 1] = x;
    }
    if (!identity) sorted.codec.write(state, values, order);
  };

  type Enumerated = (typeof enumerated)[number];
  /** The invariant keys into invariantKeys[i*keyLength ..]: fixed data, then each cross group's tuples sorted. */
  const invariantKeysOf = (state: Uint32Array, e: Enumerated): void => {
    const inv = e.invariant;
    if (inv.packed !== null) {
      inv.packed(state, invariantKeys);
      return;
    }
    const { fixed, keyLength } = inv;
    const n = e.plan.members;
    fixed.read(state, values);
    for (let i = 0; i < n; i++) for (let c = 0; c < fixed.chunks; c++) invariantKeys[i * keyLength + c] = values[i * fixed.chunks + c]!;
    let at = fixed.chunks;
    for (const { codec, tuples } of inv.cross) {
      codec.read(state, crossValues);
      const perMember = tuples * codec.chunks;
      for (let i = 0; i < n; i++) {
        const from = i * keyLength + at;
        for (let k = 0; k < perMember; k++) invariantKeys[from + k] = crossValues[i * perMember + k]!;
        sortRecords(invariantKeys, from, tuples, codec.chunks);
      }
      at += perMember;
    }
  };

  /**
   * Orders an enumerated group by its invariant keys (in invariantKeys) into `order`: IDENTITY,
   * PERMUTED (its members' data then in `values`), or TIED when two members whose data differ have
   * the same key (identical members swap to the same state, so their tie does not matter).
   */
  const orderOfKeys = (state: Uint32Array, e: Enumerated): number => {
    const n = e.plan.members;
    const len = e.invariant.keyLength;
    const chunks = e.plan.codec.chunks;
    let read = false;
    let identity = true;
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = 1; i < n; i++) {
      const x = order[i]!;
      let j = i - 1;
      for (; j >= 0; j--) {
        const c = len === 1 ? invariantKeys[order[j]!]! - invariantKeys[x]! : compareRecords(invariantKeys, order[j]!, x, len);
        if (c === 0) {
          if (!read) e.plan.codec.read(state, values);
          read = true;
          if (compareRecords(values, order[j]!, x, chunks) !== 0) return TIED;
        }
        if (c <= 0) break;
        order[j + 1] = order[j]!;
        identity = false;
      }
      order[j + 1] = x;
    }
    if (identity) return IDENTITY;
    if (!read) e.plan.codec.read(state, values);
    return PERMUTED;
  };

  /**
   * The fast path: orders every enumerated group by key, then sorts the sorted group; false,
   * with `state` partly reordered (within its orbit), when a group has ties.
   */
  const untiedCanonicalize = (state: Uint32Array): boolean => {
    for (let g = 0; g < enumerated.length; g++) {
      const e = enumerated[g]!;
      invariantKeysOf(state, e);
      const r = orderOfKeys(state, e);
      if (r === TIED) return false;
      if (r === PERMUTED) e.plan.codec.write(state, values, order);
    }
    sortGroup(state);
    return true;
  };

  // The slow path's tie blocks: block d permutes base[group][start .. start+size) by its digit-th permutation.
  const base = enumerated.map((e) => new Int32Array(e.plan.members));
  const orders = enumerated.map((e) => new Int32Array(e.plan.members));
  const maxBlocks = enumerated.reduce((a, e) => a + e.plan.members, 0);
  const blockGroup = new Int32Array(maxBlocks);
  const blockStart = new Int32Array(maxBlocks);
  const blockSize = new Int32Array(maxBlocks);
  const digits = new Int32Array(maxBlocks);
  const permutationsOf: Int32Array[][] = [];
  const permutationsOfSize = (k: number): Int32Array[] => {
    permutationsOf[k] ??= permutations(k);
    return permutationsOf[k];
  };
  let blocks = 0;

  /**
   * Sorts each enumerated group of `state` by invariant key into `base` and records its `blocks`
   * of tied members; returns the number of candidate orders (the product of the blocks' factorials).
   */
  const tieBlocks = (state: Uint32Array): number => {
    blocks = 0;
    let candidates = 1;
    for (let g = 0; g < enumerated.length; g++) {
      const e = enumerated[g]!;
      const n = e.plan.members;
      const len = e.invariant.keyLength;
      const b = base[g]!;
      invariantKeysOf(state, e);
      for (let i = 0; i < n; i++) {
        let j = i - 1;
        for (; j >= 0 && compareRecords(invariantKeys, b[j]!, i, len) > 0; j--) b[j + 1] = b[j]!;
        b[j + 1] = i;
      }
      for (let i = 0; i < n; ) {
        let j = i + 1;
        while (j < n && compareRecords(invariantKeys, b[i]!, b[j]!, len) === 0) j++;
        if (j - i > 1) {
          blockGroup[blocks] = g;
          blockStart[blocks] = i;
          blockSize[blocks] = j - i;
          candidates *= permutationsOfSize(j - i).length;
          blocks++;
        }
        i = j;
      }
    }
    if (candidates > MAX_ENUMERATED) throw new ConventionError(`symmetry: ${candidates} tied orders to enumerate; declare fewer symmetric threads`);
    return candidates;
  };

  /** The slow path: the smallest result over every order of the tied members (word loops: W is small). */
  const tiedCanonicalize = (state: Uint32Array): void => {
    for (let w = 0; w < W; w++) original[w] = state[w]!;
    const candidates = tieBlocks(original);
    for (let d = 0; d < blocks; d++) digits[d] = 0;
    for (let c = 0; c < candidates; c++) {
      for (let g = 0; g < enumerated.length; g++) {
        const o = orders[g]!;
        const b = base[g]!;
        for (let k = 0; k < o.length; k++) o[k] = b[k]!;
      }
      for (let d = 0; d < blocks; d++) {
        const perm = permutationsOfSize(blockSize[d]!)[digits[d]!]!;
        const o = orders[blockGroup[d]!]!;
        const b = base[blockGroup[d]!]!;
        for (let k = 0; k < perm.length; k++) o[blockStart[d]! + k] = b[blockStart[d]! + perm[k]!]!;
      }
      for (let w = 0; w < W; w++) candidate[w] = original[w]!;
      for (let g = 0; g < enumerated.length; g++) {
        const codec = enumerated[g]!.plan.codec;
        codec.read(candidate, values);
        codec.write(candidate, values, orders[g]!);
      }
      sortGroup(candidate);
      let smaller = c === 0;
      for (let w = 0; c > 0 && w < W; w++) {
        if (candidate[w] !== state[w]) {
          smaller = candidate[w]! < state[w]!;
          break;
        }
      }
      if (smaller) for (let w = 0; w < W; w++) state[w] = candidate[w]!;
      // next candidate: the digits count in mixed radix (block d has size! values)
      for (let d = 0; d < blocks; d++) {
        if (++digits[d]! < permutationsOfSize(blockSize[d]!).length) break;
        digits[d] = 0;
      }
    }
  };

  // the common case generated (symmetryCode.ts): every enumerated group's keys fit one chunk, no group is big
  const generable = enumerated.every((e) => e.invariant.packed !== null) && plans.every((p) => p.members <= MAX_GENERATED_MEMBERS);
  if (options.generated === true && !generable) throw new RangeError('symmetry: this layout has no generated canonicalizer (an invariant key wider than one chunk, or a group too big)');
  const generated = (options.generated ?? true) && generable;
  const untied = generated ? fastCanonicalCode(layout, fieldsOf[sortedIndex]!, enumerated.map((e) => ({ ...e.invariant.fields, members: fieldsOf[e.group]! }))) : untiedCanonicalize;
  return (state) => {
    if (!untied(state)) tiedCanonicalize(state);
  };
}
