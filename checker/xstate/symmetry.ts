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
import type { StateLayout } from './layout.ts';

/** A group's members and, per member, the bit fields of its local data (its signature). */
interface GroupPlan {
  readonly members: number;
  /** fields[i] = field indices of member i: its thread state (if it is a thread), then its columns. */
  readonly fields: readonly Int32Array[];
  /** Signature bits; members whose data fits one integer (<= 31 bits) sort as numbers. */
  readonly signatureBits: number;
}

function memberFields(layout: StateLayout, group: string, members: readonly string[]): Int32Array[] {
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
    return Int32Array.from(fields);
  });
}

/**
 * For a member of a group enumerated by order: its fields that no other symmetric group indexes,
 * and per other symmetric group h, one tuple of fields per member of h.
 */
interface InvariantPlan {
  readonly fixed: Int32Array;
  readonly cross: readonly { readonly members: number; readonly tupleLength: number; readonly fields: Int32Array }[];
  readonly keyLength: number;
}

function invariantPlan(layout: StateLayout, group: string, member: number, symmetric: readonly string[]): InvariantPlan {
  const fixed: number[] = [];
  const name = layout.groups[group]![member]!;
  const t = layout.threads.findIndex((th) => th.name === name);
  if (t >= 0) fixed.push(t);
  const crossByGroup = new Map<string, number[][]>();
  for (const v of layout.vars) {
    const dims = v.domain.dims ?? [];
    const p = dims.indexOf(group);
    if (p < 0) continue;
    const other = dims.length === 2 ? dims[1 - p]! : undefined;
    const base = layout.elementBase + v.first;
    const at = (i: number, j: number): number => base + (p === 0 ? i * v.shape[1]! + j : j * v.shape[1]! + i);
    if (other === undefined) fixed.push(base + member);
    else if (!symmetric.includes(other)) for (let j = 0; j < v.shape[1 - p]!; j++) fixed.push(at(member, j));
    else {
      const tuples = crossByGroup.get(other) ?? Array.from({ length: v.shape[1 - p]! }, () => [] as number[]);
      tuples.forEach((tuple, j) => {
        tuple.push(at(member, j));
      });
      crossByGroup.set(other, tuples);
    }
  }
  const cross = [...crossByGroup.values()].map((tuples) => ({ members: tuples.length, tupleLength: tuples[0]!.length, fields: Int32Array.from(tuples.flat()) }));
  return { fixed: Int32Array.from(fixed), cross, keyLength: fixed.length + cross.reduce((a, c) => a + c.fields.length, 0) };
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

/** Returns an in-place canonicalizer for the layout's symmetric groups, or null when it has none. */
export function symmetryCanonicalizer(layout: StateLayout): ((state: Uint32Array) => void) | null {
  const names = layout.symmetric;
  const plans: GroupPlan[] = names.map((name) => {
    const members = layout.groups[name];
    if (!members) throw new ConventionError(`symmetric group '${name}' is not declared in groups`);
    const fields = memberFields(layout, name, members);
    const signatureBits = Array.from(fields[0] ?? [], (f) => 32 - Math.clz32(layout.fieldMask[f]!)).reduce((a, b) => a + b, 0);
    return { members: members.length, fields, signatureBits };
  });
  if (plans.length === 0) return null;
  const sortedIndex = plans.reduce((best, p, i) => (p.members > plans[best]!.members ? i : best), 0);
  const sorted = plans[sortedIndex]!;
  const enumerated = plans.flatMap((plan, g) => {
    if (g === sortedIndex) return [];
    const invariants = Array.from({ length: plan.members }, (_, i) => invariantPlan(layout, names[g]!, i, names));
    return [{ plan, invariants }];
  });
  const { fieldWord, fieldShift, fieldMask } = layout;
  const maxN = Math.max(...plans.map((p) => p.members));
  const maxLen = Math.max(...plans.map((p) => p.fields[0]?.length ?? 0));
  const maxKey = Math.max(1, ...enumerated.map((e) => e.invariants[0]?.keyLength ?? 0));
  const keys = new Float64Array(maxN); // small signatures
  const wide = new Uint32Array(maxN * maxLen); // field values, for signatures over 31 bits
  const order = new Int32Array(maxN);
  const values = new Uint32Array(maxN * maxLen);
  const invariantKeys = new Uint32Array(maxN * maxKey);
  const W = layout.stateWords;
  const original = new Uint32Array(W);
  const candidate = new Uint32Array(W);

  const read = (state: Uint32Array, f: number): number => (state[fieldWord[f]!]! >>> fieldShift[f]!) & fieldMask[f]!;
  const compareWide = (a: number, b: number, len: number): number => {
    for (let k = 0; k < len; k++) {
      const d = wide[a * len + k]! - wide[b * len + k]!;
      if (d !== 0) return d;
    }
    return 0;
  };

  /** Reads every member's local data into `values` (and its signature into `keys`). */
  const readMembers = (state: Uint32Array, plan: GroupPlan): void => {
    const len = plan.fields[0]!.length;
    const small = plan.signatureBits <= 31;
    for (let i = 0; i < plan.members; i++) {
      const fs = plan.fields[i]!;
      let sig = 0;
      for (let k = 0; k < len; k++) {
        const x = read(state, fs[k]!);
        values[i * len + k] = x;
        if (small) sig = sig * (fieldMask[fs[k]!]! + 1) + x;
        else wide[i * len + k] = x;
      }
      keys[i] = sig;
    }
  };

  /** Gives member position i the local data of old member perm[i] (values read by readMembers). */
  const writeMembers = (state: Uint32Array, plan: GroupPlan, perm: Int32Array): void => {
    const len = plan.fields[0]!.length;
    for (let i = 0; i < plan.members; i++) {
      const fs = plan.fields[i]!;
      const from = perm[i]! * len;
      for (let k = 0; k < len; k++) {
        const f = fs[k]!;
        const w = fieldWord[f]!;
        state[w] = (state[w]! & ~(fieldMask[f]! << fieldShift[f]!)) | (values[from + k]! << fieldShift[f]!);
      }
    }
  };

  /** Sorts the members of `plan` by their local data (equal members are identical). */
  const sortGroup = (state: Uint32Array, plan: GroupPlan): void => {
    const n = plan.members;
    const len = plan.fields[0]!.length;
    const small = plan.signatureBits <= 31;
    readMembers(state, plan);
    for (let i = 0; i < n; i++) order[i] = i;
    let identity = true;
    for (let i = 1; i < n; i++) {
      const x = order[i]!;
      let j = i - 1;
      while (j >= 0 && (small ? keys[order[j]!]! - keys[x]! : compareWide(order[j]!, x, len)) > 0) {
        order[j + 1] = order[j]!;
        j--;
        identity = false;
      }
      order[j + 1] = x;
    }
    if (!identity) writeMembers(state, plan, order);
  };

  if (enumerated.length === 0) return (state) => sortGroup(state, sorted);

  /** Member i's invariant key into invariantKeys[i*len..]: fixed data, then each cross group's tuples sorted. */
  const invariantKey = (state: Uint32Array, inv: InvariantPlan, i: number, len: number): void => {
    let k = i * len;
    for (let a = 0; a < inv.fixed.length; a++) invariantKeys[k++] = read(state, inv.fixed[a]!);
    for (const c of inv.cross) {
      const start = k;
      for (let a = 0; a < c.fields.length; a++) invariantKeys[k++] = read(state, c.fields[a]!);
      // insertion sort of the tuples in place
      const t = c.tupleLength;
      for (let x = 1; x < c.members; x++) {
        for (let y = x; y > 0; y--) {
          let cmp = 0;
          for (let z = 0; z < t && cmp === 0; z++) cmp = invariantKeys[start + (y - 1) * t + z]! - invariantKeys[start + y * t + z]!;
          if (cmp <= 0) break;
          for (let z = 0; z < t; z++) {
            const a = start + (y - 1) * t + z;
            const b = start + y * t + z;
            const tmp = invariantKeys[a]!;
            invariantKeys[a] = invariantKeys[b]!;
            invariantKeys[b] = tmp;
          }
        }
      }
    }
  };
  const compareKeys = (a: number, b: number, len: number): number => {
    for (let z = 0; z < len; z++) {
      const d = invariantKeys[a * len + z]! - invariantKeys[b * len + z]!;
      if (d !== 0) return d;
    }
    return 0;
  };

  /** Orders an enumerated group by invariant key; returns every order consistent with it (ties enumerated). */
  const candidateOrders = (state: Uint32Array, e: (typeof enumerated)[number]): Int32Array[] => {
    const n = e.plan.members;
    const len = e.invariants[0]!.keyLength;
    for (let i = 0; i < n; i++) invariantKey(state, e.invariants[i]!, i, len);
    const base = Array.from({ length: n }, (_, i) => i).sort((a, b) => compareKeys(a, b, len) || a - b);
    let orders: number[][] = [[]];
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && compareKeys(base[i]!, base[j]!, len) === 0) j++;
      const tie = base.slice(i, j);
      const perms = j - i === 1 ? [[tie[0]!]] : permutations(j - i).map((p) => Array.from(p, (x) => tie[x]!));
      orders = orders.flatMap((prefix) => perms.map((p) => [...prefix, ...p]));
      i = j;
    }
    if (orders.length > MAX_ENUMERATED) throw new ConventionError(`symmetry: ${orders.length} tied orders to enumerate; declare fewer symmetric threads`);
    return orders.map((o) => Int32Array.from(o));
  };

  const sameMemberData = (state: Uint32Array, plan: GroupPlan, a: number, b: number): boolean => {
    const fa = plan.fields[a]!;
    const fb = plan.fields[b]!;
    for (let k = 0; k < fa.length; k++) if (read(state, fa[k]!) !== read(state, fb[k]!)) return false;
    return true;
  };

  /** Sorts an enumerated group by invariant key into `order`; returns false when two different members tie. */
  const orderWithoutTies = (state: Uint32Array, e: (typeof enumerated)[number]): boolean => {
    const n = e.plan.members;
    const len = e.invariants[0]!.keyLength;
    for (let i = 0; i < n; i++) {
      invariantKey(state, e.invariants[i]!, i, len);
      order[i] = i;
    }
    for (let i = 1; i < n; i++) {
      const x = order[i]!;
      let j = i - 1;
      for (; j >= 0; j--) {
        const c = compareKeys(order[j]!, x, len);
        // a tie matters only between members whose data differ (identical members swap to the same state)
        if (c === 0 && !sameMemberData(state, e.plan, order[j]!, x)) return false;
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
    for (const e of enumerated) {
      if (!orderWithoutTies(state, e)) {
        untied = false;
        break;
      }
      let identity = true;
      for (let i = 0; i < e.plan.members; i++) if (order[i] !== i) identity = false;
      if (identity) continue;
      readMembers(state, e.plan);
      writeMembers(state, e.plan, order);
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
        readMembers(candidate, e.plan);
        writeMembers(candidate, e.plan, choice[g]!);
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
