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
import { CHUNK_BITS, type RecordsCodec, recordsCodec } from './fieldCode.ts';
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

/** The cartesian product of per-group permutation lists. */
function product(lists: Int32Array[][]): Int32Array[][] {
  return lists.reduce<Int32Array[][]>((acc, list) => acc.flatMap((prefix) => list.map((p) => [...prefix, p])), [[]]);
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

/** Returns an in-place canonicalizer for the layout's symmetric groups, or null when it has none. */
export function symmetryCanonicalizer(layout: StateLayout): ((state: Uint32Array) => void) | null {
  const names = layout.symmetric;
  const plans: GroupPlan[] = names.map((name) => {
    const members = layout.groups[name];
    if (!members) throw new ConventionError(`symmetric group '${name}' is not declared in groups`);
    return { members: members.length, codec: recordsCodec(layout, memberFields(layout, name, members)) };
  });
  if (plans.length === 0) return null;
  const sortedIndex = plans.reduce((best, p, i) => (p.members > plans[best]!.members ? i : best), 0);
  const sorted = plans[sortedIndex]!;
  const enumerated = plans.flatMap((plan, g) => (g === sortedIndex ? [] : [{ plan, invariant: invariantPlan(layout, names[g]!, names) }]));
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

  if (enumerated.length === 0) return (state) => sortGroup(state, sorted);

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

  /** Orders an enumerated group by invariant key; returns every order consistent with it (ties enumerated). */
  const candidateOrders = (state: Uint32Array, e: (typeof enumerated)[number]): Int32Array[] => {
    const n = e.plan.members;
    const len = e.invariant.keyLength;
    invariantKeysOf(state, e);
    const base = Array.from({ length: n }, (_, i) => i).sort((a, b) => compareRecords(invariantKeys, a, b, len) || a - b);
    let orders: number[][] = [[]];
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && compareRecords(invariantKeys, base[i]!, base[j]!, len) === 0) j++;
      const tie = base.slice(i, j);
      const perms = j - i === 1 ? [[tie[0]!]] : permutations(j - i).map((p) => Array.from(p, (x) => tie[x]!));
      orders = orders.flatMap((prefix) => perms.map((p) => [...prefix, ...p]));
      i = j;
    }
    if (orders.length > MAX_ENUMERATED) throw new ConventionError(`symmetry: ${orders.length} tied orders to enumerate; declare fewer symmetric threads`);
    return orders.map((o) => Int32Array.from(o));
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

  return (state) => {
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
    original.set(state);
    const choices = product(enumerated.map((e) => candidateOrders(original, e)));
    let first = true;
    for (const choice of choices) {
      candidate.set(original);
      enumerated.forEach((e, g) => {
        e.plan.codec.read(candidate, values);
        e.plan.codec.write(candidate, values, choice[g]!);
      });
      sortGroup(candidate, sorted);
      let smaller = first;
      for (let w = 0; !first && w < W; w++) {
        if (candidate[w] !== state[w]) {
          smaller = candidate[w]! < state[w]!;
          break;
        }
      }
      if (smaller) state.set(candidate);
      first = false;
    }
  };
}
