/**
 * Symmetry reduction for interchangeable threads: a canonicalizer mapping every state to the
 * canonical representative of its orbit under the permutations of the symmetric groups.
 *
 * The largest group is sorted by its members' local data (thread state, then every variable
 * column indexed by them): O(n log n) instead of n! permutations. Each other group is first
 * ordered by a key that no permutation of the other groups changes (its fixed data, then its
 * cross-group tuples sorted); only members whose keys tie are enumerated, and the smallest result
 * of sorting the largest group under each candidate order is kept. Usually nothing ties, so one
 * sort does.
 */
import { ConventionError } from './conventions.ts';
import type { Canonicalize } from '../engine/types.ts';
import { CHUNK_BITS, fieldBits, type RecordsCodec, recordsCodec } from './fieldCode.ts';
import type { StateLayout } from './layout.ts';

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
  readonly cross: readonly RecordsCodec[];
  /** Chunks of one member's key (1 when `packed`). */
  readonly keyLength: number;
  /** The whole key fits one chunk: fixed data and sorted tuples concatenated into one integer. */
  readonly packed: boolean;
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
  const fixedCodec = recordsCodec(layout, fixed);
  // one record per (member, tuple), member-major: member i's tuples are records i*m .. i*m+m-1
  const cross = [...crossByGroup.values()].map((byMember) => recordsCodec(layout, byMember.flat()));
  const keyBits = fixedCodec.bits + cross.reduce((a, c) => a + (c.records / members.length) * c.bits, 0);
  const packed = keyBits <= CHUNK_BITS && cross.every((c) => c.chunks === 1);
  return {
    fixed: fixedCodec,
    cross,
    keyLength: packed ? 1 : fixedCodec.chunks + cross.reduce((a, c) => a + (c.records / members.length) * c.chunks, 0),
    packed,
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

/**
 * Returns an in-place canonicalizer for the layout's symmetric groups, or null when it has none.
 * Given `from`, a representative whose successor the state is, it first tries the common case
 * cheaply: when the step changed the data of one member of the sorted group only (and nothing an
 * enumerated group's order depends on), the state is its own representative if that member still
 * sorts between its neighbours, and is sorted again otherwise.
 */
export function symmetryCanonicalizer(layout: StateLayout): Canonicalize | null {
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
  const enumerated = plans.flatMap((plan, g) => (g === sortedIndex ? [] : [{ plan, invariant: invariantPlan(layout, names[g]!, names) }]));
  // for the hint: the bits of each sorted member's data (disjoint: the layout refuses a variable
  // indexed twice by one group), and the bits the enumerated groups' orders depend on
  const memberBits = fieldsOf[sortedIndex]!.map((fields) => fieldBits(layout, fields));
  const enumeratedBits = fieldBits(layout, fieldsOf.flatMap((fields, g) => (g === sortedIndex ? [] : fields.flat())));
  const maxN = Math.max(...plans.map((p) => p.members));
  const maxChunks = Math.max(1, ...plans.map((p) => p.codec.chunks));
  const maxKey = Math.max(1, ...enumerated.map((e) => e.invariant.keyLength));
  const maxCross = Math.max(1, ...enumerated.flatMap((e) => e.invariant.cross.map((c) => c.records * c.chunks)));
  const order = new Int32Array(maxN);
  const values = new Int32Array(maxN * maxChunks);
  const crossValues = new Int32Array(maxCross);
  const invariantKeys = new Int32Array(maxN * maxKey);
  const W = layout.stateWords;
  const original = new Uint32Array(W);
  const candidate = new Uint32Array(W);

  /** Sorts the members of `plan` by their local data (equal members are identical). */
  const sortGroup = (state: Uint32Array, plan: GroupPlan): void => {
    const n = plan.members;
    const len = plan.codec.chunks;
    plan.codec.read(state, values);
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
    if (!identity) plan.codec.write(state, values, order);
  };

  const diff = new Int32Array(W);
  /** The sorted member whose data alone `state` and `from` differ in (-1: none; -2: anything else). */
  const changedMember = (state: Uint32Array, from: Uint32Array): number => {
    let any = false;
    for (let w = 0; w < W; w++) {
      const d = (state[w]! ^ from[w]!) | 0;
      if ((d & enumeratedBits[w]!) !== 0) return -2;
      diff[w] = d;
      if (d !== 0) any = true;
    }
    if (!any) return -1;
    for (let i = 0; i < sorted.members; i++) {
      const bits = memberBits[i]!;
      let inside = true;
      for (let w = 0; w < W && inside; w++) if ((diff[w]! & ~bits[w]!) !== 0) inside = false;
      if (inside) return i;
    }
    return -2;
  };
  /** Whether member i of the sorted group still sorts between its neighbours. */
  const inPlace = (state: Uint32Array, i: number): boolean => {
    const len = sorted.codec.chunks;
    sorted.codec.read(state, values);
    return (i === 0 || compareRecords(values, i - 1, i, len) <= 0) && (i === sorted.members - 1 || compareRecords(values, i, i + 1, len) <= 0);
  };

  /**
   * Canonicalizes a successor of the representative `from` the cheap way, when the step changed
   * one sorted member's own data (or nothing the orders read) and `untied(from)` (no enumerated
   * group of `from` has tied members); false, nothing done, when it cannot.
   */
  const hinted = (state: Uint32Array, from: Uint32Array, untied: (from: Uint32Array) => boolean): boolean => {
    const i = changedMember(state, from);
    if (i === -2 || !untied(from)) return false;
    if (i >= 0 && !inPlace(state, i)) sortGroup(state, sorted);
    return true;
  };

  if (enumerated.length === 0) {
    const noTies = (): boolean => true;
    return (state, from) => {
      if (from === undefined || !hinted(state, from, noTies)) sortGroup(state, sorted);
    };
  }

  /** Every member's invariant key into invariantKeys[i*keyLength ..]: fixed data, then each cross group's tuples sorted. */
  const invariantKeysOf = (state: Uint32Array, e: (typeof enumerated)[number]): void => {
    const { fixed, cross, keyLength, packed } = e.invariant;
    const n = e.plan.members;
    fixed.read(state, values);
    if (packed) {
      for (let i = 0; i < n; i++) invariantKeys[i] = fixed.chunks === 0 ? 0 : values[i]!;
      for (const c of cross) {
        c.read(state, crossValues);
        const m = c.records / n;
        for (let i = 0; i < n; i++) {
          sortRecords(crossValues, i * m, m, 1);
          let key = invariantKeys[i]!;
          for (let j = 0; j < m; j++) key = (key << c.bits) | crossValues[i * m + j]!;
          invariantKeys[i] = key;
        }
      }
      return;
    }
    for (let i = 0; i < n; i++) for (let c = 0; c < fixed.chunks; c++) invariantKeys[i * keyLength + c] = values[i * fixed.chunks + c]!;
    let at = fixed.chunks;
    for (const c of cross) {
      c.read(state, crossValues);
      const perMember = (c.records / n) * c.chunks;
      for (let i = 0; i < n; i++) {
        const from = i * keyLength + at;
        for (let k = 0; k < perMember; k++) invariantKeys[from + k] = crossValues[i * perMember + k]!;
        sortRecords(invariantKeys, from, c.records / n, c.chunks);
      }
      at += perMember;
    }
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

  /**
   * Sorts each enumerated group of `state` by invariant key into `base` and records its blocks of
   * tied members; returns the number of candidate orders (the product of the blocks' factorials).
   */
  const tieBlocks = (state: Uint32Array): { blocks: number; candidates: number } => {
    let blocks = 0;
    let candidates = 1;
    enumerated.forEach((e, g) => {
      const n = e.plan.members;
      const len = e.invariant.keyLength;
      const b = base[g]!;
      invariantKeysOf(state, e);
      for (let i = 0; i < n; i++) {
        const x = i;
        let j = i - 1;
        for (; j >= 0 && compareRecords(invariantKeys, b[j]!, x, len) > 0; j--) b[j + 1] = b[j]!;
        b[j + 1] = x;
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
    });
    if (candidates > MAX_ENUMERATED) throw new ConventionError(`symmetry: ${candidates} tied orders to enumerate; declare fewer symmetric threads`);
    return { blocks, candidates };
  };

  /**
   * Sorts an enumerated group by invariant key into `order` (its members' data in `values`);
   * returns false when two different members tie.
   */
  const orderWithoutTies = (state: Uint32Array, e: (typeof enumerated)[number]): boolean => {
    const n = e.plan.members;
    const len = e.invariant.keyLength;
    const chunks = e.plan.codec.chunks;
    invariantKeysOf(state, e);
    e.plan.codec.read(state, values);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = 1; i < n; i++) {
      const x = order[i]!;
      let j = i - 1;
      for (; j >= 0; j--) {
        const c = compareRecords(invariantKeys, order[j]!, x, len);
        // a tie matters only between members whose data differ (identical members swap to the same state)
        if (c === 0 && compareRecords(values, order[j]!, x, chunks) !== 0) return false;
        if (c <= 0) break;
        order[j + 1] = order[j]!;
      }
      order[j + 1] = x;
    }
    return true;
  };

  // whether the last `from` seen has no ties in its enumerated groups (its successors come together)
  const lastFrom = new Uint32Array(W);
  let lastFromUntied = false;
  let lastFromValid = false;
  const untiedFrom = (from: Uint32Array): boolean => {
    let same = lastFromValid;
    for (let w = 0; w < W && same; w++) if (lastFrom[w] !== from[w]) same = false;
    if (!same) {
      lastFrom.set(from);
      lastFromValid = true;
      lastFromUntied = enumerated.every((e) => orderWithoutTies(from, e));
    }
    return lastFromUntied;
  };

  return (state, from) => {
    if (from !== undefined && hinted(state, from, untiedFrom)) return;
    // fast path: no ties in any enumerated group, so exactly one candidate order each
    let untied = true;
    for (let g = 0; g < enumerated.length; g++) {
      const e = enumerated[g]!;
      if (!orderWithoutTies(state, e)) {
        untied = false;
        break;
      }
      let identity = true;
      for (let i = 0; i < e.plan.members; i++) if (order[i] !== i) identity = false;
      if (!identity) e.plan.codec.write(state, values, order);
    }
    if (untied) {
      sortGroup(state, sorted);
      return;
    }
    // slow path: the smallest result over every order of the tied members
    original.set(state);
    const { blocks, candidates } = tieBlocks(original);
    digits.fill(0, 0, blocks);
    for (let c = 0; c < candidates; c++) {
      for (let g = 0; g < enumerated.length; g++) orders[g]!.set(base[g]!);
      for (let d = 0; d < blocks; d++) {
        const perm = permutationsOfSize(blockSize[d]!)[digits[d]!]!;
        const o = orders[blockGroup[d]!]!;
        const b = base[blockGroup[d]!]!;
        for (let k = 0; k < perm.length; k++) o[blockStart[d]! + k] = b[blockStart[d]! + perm[k]!]!;
      }
      candidate.set(original);
      for (let g = 0; g < enumerated.length; g++) {
        const codec = enumerated[g]!.plan.codec;
        codec.read(candidate, values);
        codec.write(candidate, values, orders[g]!);
      }
      sortGroup(candidate, sorted);
      let smaller = c === 0;
      for (let w = 0; c > 0 && w < W; w++) {
        if (candidate[w] !== state[w]) {
          smaller = candidate[w]! < state[w]!;
          break;
        }
      }
      if (smaller) state.set(candidate);
      // next candidate: the digits count in mixed radix (block d has size! values)
      for (let d = 0; d < blocks; d++) {
        if (++digits[d]! < permutationsOfSize(blockSize[d]!).length) break;
        digits[d] = 0;
      }
    }
  };
}
