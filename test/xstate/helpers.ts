/**
 * Shared helpers for the checker/xstate tests: plain reachability over a TransitionSystem, successor
 * lists, random states within a layout's declared domains, and thread/column permutations.
 */
import fc from 'fast-check';
import type { TransitionSystem } from '../../checker/engine/TransitionSystem.ts';
import type { Context, StateLayout, VarLayout } from '../../checker/xstate/layout.ts';

export const key = (s: Uint32Array): string => s.join(',');

/** The (action, successor words) sequence of `state`, in emission order. */
export function successorList(sys: TransitionSystem, state: Uint32Array): [number, number[]][] {
  sys.load(state);
  const out: [number, number[]][] = [];
  sys.successors((a, next) => out.push([a, Array.from(next)]));
  return out;
}

export interface Reachable {
  readonly states: Set<string>;
  readonly list: Uint32Array[];
  readonly transitions: number;
}

/** Plain BFS (a Set of joined words). With `canon`, stores canonicalized states only. */
export function reachable(sys: TransitionSystem, canon?: ((s: Uint32Array) => void) | null, limit = 2_000_000): Reachable {
  const init = new Uint32Array(sys.stateWords);
  sys.initial(init);
  if (canon) canon(init);
  const states = new Set<string>([key(init)]);
  const list = [init];
  let transitions = 0;
  for (let i = 0; i < list.length; i++) {
    sys.load(list[i]!);
    sys.successors((_a, next) => {
      transitions++;
      const n = next.slice();
      if (canon) canon(n);
      const k = key(n);
      if (!states.has(k)) {
        if (states.size >= limit) throw new Error(`more than ${limit} states`);
        states.add(k);
        list.push(n);
      }
    });
  }
  return { states, list, transitions };
}

/** Arbitrary value of one variable (nested arrays by its shape), within its declared domain. */
export function arbVar(v: VarLayout): fc.Arbitrary<unknown> {
  const leaf: fc.Arbitrary<unknown> = v.domain.type === 'bool' ? fc.boolean() : fc.integer({ min: 0, max: v.max });
  let arb = leaf;
  for (let d = v.shape.length - 1; d >= 0; d--) arb = fc.array(arb, { minLength: v.shape[d]!, maxLength: v.shape[d]! });
  return arb;
}

export interface ValueContext {
  readonly value: Record<string, string>;
  readonly context: Context;
}

/** Arbitrary configuration (any state per thread) and context within the declared domains. */
export function arbValueContext(layout: StateLayout): fc.Arbitrary<ValueContext> {
  const value = fc.record(Object.fromEntries(layout.threads.map((t) => [t.name, fc.constantFrom(...t.states)])));
  const context = fc.record(Object.fromEntries(layout.vars.map((v) => [v.name, arbVar(v)])));
  return fc.record({ value, context }) as fc.Arbitrary<ValueContext>;
}

export function packed(layout: StateLayout, vc: ValueContext): Uint32Array {
  const out = new Uint32Array(layout.stateWords);
  layout.pack(vc.value, vc.context, out);
  return out;
}

/** Every permutation of 0..n-1. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/**
 * Applies a permutation of the members of `group`, independently of checker/xstate/symmetry.ts:
 * the member at new position i takes everything old member perm[i] had — its thread state (when
 * it is a thread) and, in every variable, every index along every axis that `group` indexes.
 */
export function permute(layout: StateLayout, group: string, perm: readonly number[], vc: ValueContext): ValueContext {
  const members = layout.groups[group]!;
  const value = { ...vc.value };
  members.forEach((m, i) => {
    if (m in vc.value) value[m] = vc.value[members[perm[i]!]!]!;
  });
  const context: Context = {};
  for (const v of layout.vars) {
    const dims = v.domain.dims ?? [];
    const old = vc.context[v.name];
    const at = (x: unknown, idx: number[]): unknown => idx.reduce<unknown>((a, i) => (a as unknown[])[i], x);
    const src = (idx: number[]): number[] => idx.map((i, p) => (dims[p] === group ? perm[i]! : i));
    const build = (idx: number[]): unknown =>
      idx.length === v.shape.length ? at(old, src(idx)) : Array.from({ length: v.shape[idx.length]! }, (_, i) => build([...idx, i]));
    context[v.name] = build([]);
  }
  return { value, context };
}

/** Fixed seed under CI (reproducible), random otherwise; fast-check prints the seed on failure. */
export const fcSeed = (): { seed?: number } => (process.env.CI ? { seed: 20_260_121 } : {});

/**
 * Explores `a` breadth-first and compares it with `b` at every reachable state: the same
 * (action, successor) sequence and the same `isFinal`. Returns the first difference, or null.
 */
export function firstDifference(a: TransitionSystem, b: TransitionSystem, maxStates = 100_000): string | null {
  const ia = new Uint32Array(a.stateWords);
  const ib = new Uint32Array(b.stateWords);
  a.initial(ia);
  b.initial(ib);
  if (key(ia) !== key(ib)) return `initial states differ: ${key(ia)} vs ${key(ib)}`;
  const seen = new Set([key(ia)]);
  const queue = [ia];
  for (let i = 0; i < queue.length && i < maxStates; i++) {
    const s = queue[i]!;
    const sa = successorList(a, s);
    const fa = a.isFinal();
    const sb = successorList(b, s);
    const fb = b.isFinal();
    const show = (l: [number, number[]][], sys: TransitionSystem) => l.map(([x, n]) => `${sys.actions[x]!.name}->${n.join(',')}`).join(' ');
    if (JSON.stringify(sa) !== JSON.stringify(sb)) return `at state ${key(s)}: successors differ:\n  ${show(sa, a)}\n  ${show(sb, b)}`;
    if (fa !== fb) return `at state ${key(s)}: isFinal ${fa} vs ${fb}`;
    for (const [, n] of sa) {
      const k = n.join(',');
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(Uint32Array.from(n));
      }
    }
  }
  return null;
}
