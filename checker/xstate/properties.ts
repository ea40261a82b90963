/**
 * Properties over the XState view of a state ({ value, context }), and their binding to a
 * MachineSystem so the engine can evaluate them on its current (loaded) state.
 */
import type { Property } from '../engine/TransitionSystem.ts';
import type { MachineSystem, StateView } from './compile.ts';

export type ViewPredicate = (s: StateView) => boolean;

const CONJUNCTS = Symbol('kvmcheck.conjuncts');

/**
 * The conjunction of `conjuncts`, as one predicate that also lists them: a front-end may evaluate
 * (and tabulate) each conjunct by the few fields it reads, where the whole would read the whole
 * state. Write a property quantified over threads (`every vCPU ...`) as one conjunct per thread.
 */
export function allOf(conjuncts: readonly ViewPredicate[]): ViewPredicate {
  const all: ViewPredicate = (s) => conjuncts.every((c) => c(s));
  return Object.assign(all, { [CONJUNCTS]: conjuncts });
}

/** The conjuncts of a predicate made by `allOf` (flattened), or the predicate itself. */
export function conjunctsOf(p: ViewPredicate): readonly ViewPredicate[] {
  const cs = (p as { [CONJUNCTS]?: readonly ViewPredicate[] })[CONJUNCTS];
  return cs === undefined ? [p] : cs.flatMap(conjunctsOf);
}

/**
 * A property over the XState view. A liveness property's `owner` names the thread (machine region)
 * it is about when it is one instance of a property stated for each thread of a symmetric group,
 * under one name: it lets liveness be checked under symmetry reduction.
 */
export type ViewProperty =
  | { readonly kind: 'always'; readonly name: string; readonly holds: ViewPredicate }
  | { readonly kind: 'eventually'; readonly name: string; readonly q: ViewPredicate; readonly owner?: string }
  | { readonly kind: 'leadsTo'; readonly name: string; readonly p: ViewPredicate; readonly q: ViewPredicate; readonly owner?: string };

/** Safety: `holds` in every reachable state. */
export const always = (name: string, holds: ViewPredicate): ViewProperty => ({ kind: 'always', name, holds });
/** Liveness under weak fairness per thread: every fair run reaches `q` (about thread `owner`, if given). */
export const eventually = (name: string, q: ViewPredicate, owner?: string): ViewProperty => ({ kind: 'eventually', name, q, ...(owner === undefined ? {} : { owner }) });
/** Liveness under weak fairness per thread: `p` is always followed by `q` (p ~> q; about thread `owner`, if given). */
export const leadsTo = (name: string, p: ViewPredicate, q: ViewPredicate, owner?: string): ViewProperty => ({ kind: 'leadsTo', name, p, q, ...(owner === undefined ? {} : { owner }) });

export const isLiveness = (p: { readonly kind: string }): boolean => p.kind !== 'always';

/** Binds view properties to `system`: each predicate is evaluated on the system's current state. */
export function bindProperties(system: MachineSystem, properties: readonly ViewProperty[]): Property[] {
  return properties.map((prop): Property => {
    if (prop.kind === 'always') return { kind: 'always', name: prop.name, holds: system.predicate(prop.holds) };
    const owner = prop.owner === undefined ? {} : { owner: threadIndex(system, prop.owner, prop.name) };
    if (prop.kind === 'eventually') return { kind: 'eventually', name: prop.name, q: system.predicate(prop.q), ...owner };
    return { kind: 'leadsTo', name: prop.name, p: system.predicate(prop.p), q: system.predicate(prop.q), ...owner };
  });
}

function threadIndex(system: MachineSystem, owner: string, property: string): number {
  const t = system.threads.indexOf(owner);
  if (t < 0) throw new Error(`property '${property}': owner '${owner}' is not a thread of the machine (${system.threads.join(', ')})`);
  return t;
}
