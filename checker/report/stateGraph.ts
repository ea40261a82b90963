/**
 * The whole reachable state graph of a small system, for `--graph`: every state (decoded), every
 * transition, the states that break a safety property, and the counterexample's path through it.
 * Under symmetry reduction the graph is the quotient: one node per orbit, the counterexample's
 * states mapped to their representatives.
 */
import type { Trace } from '../engine/index.ts';
import { MemoryBudget } from '../engine/memory.ts';
import { NO_ROOM, StateStore } from '../engine/stateStore.ts';
import type { TransitionSystem } from '../engine/TransitionSystem.ts';
import { quote } from './dot.ts';

export interface StateGraphOptions {
  /** Refuse (return null) above this many states. */
  readonly maxStates: number;
  /** Symmetry reduction: maps a state in place to its orbit's representative. */
  readonly canonicalize: ((state: Uint32Array) => void) | null;
  /** Safety predicates, evaluated on the loaded state; a state where one is false is marked. */
  readonly invariants: readonly { readonly name: string; readonly holds: () => boolean }[];
  /** The counterexample to highlight, if any. */
  readonly trace: Trace | null;
}

export interface StateGraphNode {
  readonly id: number;
  readonly threads: Readonly<Record<string, string>>;
  readonly vars: Readonly<Record<string, unknown>>;
  /** Names of the invariants false here. */
  readonly violates: readonly string[];
}

export interface StateGraphEdge {
  readonly from: number;
  readonly to: number;
  readonly thread: string;
  readonly action: string;
}

export interface StateGraph {
  readonly symmetry: boolean;
  /** Node 0 is the initial state. */
  readonly states: readonly StateGraphNode[];
  readonly edges: readonly StateGraphEdge[];
  /** The counterexample's states as node ids (empty without one). */
  readonly path: readonly number[];
}

/** Explores every reachable state breadth-first; null when there are more than `maxStates`. */
export function exploreStateGraph(system: TransitionSystem, options: StateGraphOptions): StateGraph | null {
  const store = StateStore.create(system.stateWords, 0, options.maxStates, new MemoryBudget(Number.POSITIVE_INFINITY));
  if (store === null) return null;
  const canon = (s: Uint32Array): Uint32Array => {
    const c = s.slice();
    options.canonicalize?.(c);
    return c;
  };
  const buf = new Uint32Array(system.stateWords);
  system.initial(buf);
  if (store.findOrAdd(canon(buf)) === NO_ROOM) return null;
  const edges: StateGraphEdge[] = [];
  let full = false;
  for (let u = 0; u < store.count && !full; u++) {
    store.load(u, buf);
    system.load(buf);
    system.successors((action, next) => {
      const r = full ? NO_ROOM : store.findOrAdd(canon(next));
      if (r === NO_ROOM) {
        full = true;
        return;
      }
      const label = system.actions[action]!;
      edges.push({ from: u, to: r < 0 ? ~r : r, thread: system.threads[label.thread]!, action: label.name });
    });
  }
  if (full) return null;
  const states: StateGraphNode[] = [];
  for (let id = 0; id < store.count; id++) {
    store.load(id, buf);
    system.load(buf);
    const violates = options.invariants.filter((p) => !p.holds()).map((p) => p.name);
    states.push({ id, ...system.describe(buf), violates });
  }
  const path = (options.trace?.states ?? []).map((s) => {
    const id = store.findOrAdd(canon(s));
    if (id < 0) throw new Error('state graph: a counterexample state is not among the reachable states');
    return id;
  });
  return { symmetry: options.canonicalize !== null, states, edges, path };
}

/** The graph in DOT: the initial state bold, the path in orange, violating states in red. */
export function stateGraphDot(graph: StateGraph, title: string): string {
  const onPath = new Set(graph.path);
  const pathEdges = new Set(graph.path.slice(1).map((to, i) => `${graph.path[i]}>${to}`));
  const out = [
    'digraph states {',
    `  graph [fontname="Helvetica", labelloc=t, label=${quote(title)}];`,
    '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=9];',
    '  edge [fontname="Helvetica", fontsize=8];',
  ];
  for (const s of graph.states) {
    const label = [`#${s.id}${s.violates.length > 0 ? ` violates ${s.violates.join(', ')}` : ''}`, ...Object.entries(s.threads).map(([t, v]) => `${t}: ${v}`)].join('\n');
    const style = [s.id === 0 ? 'penwidth=2.5' : '', onPath.has(s.id) ? 'fillcolor="#fde293"' : '', s.violates.length > 0 ? 'color="#c00000", fontcolor="#c00000"' : ''].filter((x) => x !== '');
    out.push(`  n${s.id} [label=${quote(label)}${style.length > 0 ? `, ${style.join(', ')}` : ''}];`);
  }
  for (const e of graph.edges) {
    const hot = pathEdges.has(`${e.from}>${e.to}`) ? ', color="#e37400", penwidth=2.5' : '';
    out.push(`  n${e.from} -> n${e.to} [label=${quote(`${e.thread}: ${e.action}`)}${hot}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
