/**
 * Symmetry reduction for interchangeable threads: a canonicalizer that sorts the members of each
 * symmetric group by their local data (their thread state, then every variable column indexed by
 * them) and permutes the packed state accordingly. Sorting costs O(n log n) per group instead of
 * trying n! permutations. With several groups the result is a representative of the orbit, not
 * always the unique canonical one: sound (it only ever applies a permutation of the group, so a
 * state and its representative share their orbit), possibly keeping a few more states than a
 * perfect canonical form.
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

/**
 * Returns an in-place canonicalizer for the layout's symmetric groups, or null when it has none.
 * The largest group is sorted; the permutations of the other groups are enumerated and the
 * lexicographically smallest result kept, so the result is a true canonical form: every state of
 * an orbit maps to the same representative, and the representative maps to itself.
 */
export function symmetryCanonicalizer(layout: StateLayout): ((state: Uint32Array) => void) | null {
  const plans: GroupPlan[] = layout.symmetric.map((name) => {
    const members = layout.groups[name];
    if (!members) throw new ConventionError(`symmetric group '${name}' is not declared in groups`);
    const fields = memberFields(layout, name, members);
    const signatureBits = Array.from(fields[0] ?? [], (f) => 32 - Math.clz32(layout.fieldMask[f]!)).reduce((a, b) => a + b, 0);
    return { members: members.length, fields, signatureBits };
  });
  if (plans.length === 0) return null;
  const sorted = plans.reduce((best, p) => (p.members > best.members ? p : best), plans[0]!);
  const enumerated = plans.filter((p) => p !== sorted);
  const choices = product(enumerated.map((p) => permutations(p.members)));
  if (choices.length > MAX_ENUMERATED) throw new ConventionError(`symmetry: ${choices.length} permutations to enumerate; declare fewer symmetric groups`);
  const { fieldWord, fieldShift, fieldMask } = layout;
  const maxN = Math.max(...plans.map((p) => p.members));
  const maxLen = Math.max(...plans.map((p) => p.fields[0]?.length ?? 0));
  const keys = new Float64Array(maxN); // small signatures
  const wide = new Uint32Array(maxN * maxLen); // field values, for signatures over 31 bits
  const order = new Int32Array(maxN);
  const values = new Uint32Array(maxN * maxLen);
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

  if (choices.length === 1) return (state) => sortGroup(state, sorted);
  return (state) => {
    original.set(state);
    let first = true;
    for (const choice of choices) {
      candidate.set(original);
      enumerated.forEach((plan, g) => {
        readMembers(candidate, plan);
        writeMembers(candidate, plan, choice[g]!);
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
