import type { FairCycleFinder, Labels } from "./liveness.ts";
import { LABEL_Q, labelBits } from "./search.ts";

/** A lasso over state ids: `ids[loopStart..]` is the cycle; the last id equals `ids[loopStart]`. */
export interface Lasso {
	ids: number[];
	actions: number[];
	loopStart: number;
}

/**
 * Builds a fair lasso after `finder.check(lab)` returned the witness at the end of `prefix`
 * (the BFS-tree path from the initial state to a p∧¬q state that can reach a fair SCC): the
 * prefix, then a shortest ¬q path to a fair SCC, then a cycle inside that SCC that, for each
 * thread, takes one of its edges or visits a state where it is disabled. A terminal state ends
 * the lasso with `loopStart` on it (stuttering) and no cycle action.
 */
export function buildLasso(finder: FairCycleFinder, lab: Labels, prefix: { ids: number[]; actions: number[] }): Lasso {
	const g = finder.g;
	const witness = prefix.ids[prefix.ids.length - 1] as number;
	const { labels, stride, members } = lab;
	const sccOf = finder.sccOf;
	if (sccOf === null || members.length !== 1) throw new Error("kvmcheck engine: internal error: a lasso is built on a graph without symmetry");
	const index = members[0] as number;
	const notQ = (v: number): boolean => (labelBits(labels, stride, v, index) & LABEL_Q) === 0;
	const stem = bfs(
		finder,
		witness,
		(v) => notQ(v) && finder.canReach[v] === 1,
		(v) => finder.sccFair[sccOf[v] as number] === 1,
	);
	if (stem === null) throw new Error("kvmcheck engine: internal error: no path to a fair SCC from the liveness witness");
	const ids = prefix.ids.slice();
	const actions = prefix.actions.slice();
	appendPath(finder, stem, ids, actions, null);
	const entry = ids[ids.length - 1] as number;
	const loopStart = ids.length - 1;
	if (g.start[entry] === g.start[entry + 1]) return { ids, actions, loopStart };
	appendFairCycle(finder, sccOf, entry, ids, actions);
	return { ids, actions, loopStart };
}

/** Appends a cycle from `entry` back to `entry` inside its (fair, non-trivial) SCC, meeting every thread's obligation. */
function appendFairCycle(finder: FairCycleFinder, sccOf: Int32Array, entry: number, ids: number[], actions: number[]): void {
	const g = finder.g;
	const c = sccOf[entry] as number;
	const inC = (v: number): boolean => sccOf[v] === c;
	const satisfied = new Uint8Array(g.threadCount);
	const edgeOf = (v: number, t: number): number => {
		for (let e = g.start[v] as number; e < (g.start[v + 1] as number); e++) {
			if (g.actionThread[g.action[e] as number] === t && inC(g.target[e] as number)) return e;
		}
		return -1;
	};
	const disabledAt = (v: number, t: number): boolean => {
		for (let e = g.start[v] as number; e < (g.start[v + 1] as number); e++) {
			if (g.actionThread[g.action[e] as number] === t) return false;
		}
		return true;
	};
	const takeEdge = (e: number): number => {
		const w = g.target[e] as number;
		satisfied[g.actionThread[g.action[e] as number] as number] = 1;
		finder.markDisabled(w, satisfied);
		ids.push(w);
		actions.push(g.action[e] as number);
		return w;
	};
	// The entry is not terminal, so some thread is enabled there and the loop below takes at least one step.
	finder.markDisabled(entry, satisfied);
	let cur = entry;
	for (let t = 0; t < g.threadCount; t++) {
		if (satisfied[t] === 1) continue;
		const path = bfs(finder, cur, inC, (v) => disabledAt(v, t) || edgeOf(v, t) >= 0);
		if (path === null) throw new Error(`kvmcheck engine: internal error: SCC ${c} is not fair for thread ${t}`);
		appendPath(finder, path, ids, actions, satisfied);
		cur = path[path.length - 1] as number;
		if (satisfied[t] === 0) {
			cur = takeEdge(edgeOf(cur, t));
		}
	}
	if (cur !== entry) {
		const back = bfs(finder, cur, inC, (v) => v === entry);
		if (back === null) throw new Error(`kvmcheck engine: internal error: SCC ${c} is not strongly connected`);
		appendPath(finder, back, ids, actions, satisfied);
	}
}

/**
 * Appends `path[1..]` to `ids` with, for each step, the first edge between the two states;
 * marks the threads the steps satisfy (when `satisfied` is given).
 */
function appendPath(
	finder: FairCycleFinder,
	path: number[],
	ids: number[],
	actions: number[],
	satisfied: Uint8Array | null,
): void {
	const g = finder.g;
	for (let i = 1; i < path.length; i++) {
		const u = path[i - 1] as number;
		const v = path[i] as number;
		let e = g.start[u] as number;
		while (g.target[e] !== v) e++;
		const a = g.action[e] as number;
		ids.push(v);
		actions.push(a);
		if (satisfied !== null) {
			satisfied[g.actionThread[a] as number] = 1;
			finder.markDisabled(v, satisfied);
		}
	}
}

/** Shortest path (as ids, `from` first) from `from` through `allowed` states to a `goal` state; null if none. */
function bfs(
	finder: FairCycleFinder,
	from: number,
	allowed: (v: number) => boolean,
	goal: (v: number) => boolean,
): number[] | null {
	const { start, target } = finder.g;
	const prev = finder.scratchA.fill(-2);
	const queue = finder.scratchB;
	prev[from] = -1;
	queue[0] = from;
	let head = 0;
	let tail = 1;
	while (head < tail) {
		const v = queue[head++] as number;
		if (goal(v)) {
			const path: number[] = [];
			for (let u = v; u !== -1; u = prev[u] as number) path.push(u);
			return path.reverse();
		}
		for (let e = start[v] as number; e < (start[v + 1] as number); e++) {
			const w = target[e] as number;
			if (prev[w] === -2 && allowed(w)) {
				prev[w] = v;
				queue[tail++] = w;
			}
		}
	}
	return null;
}
