import type { TransitionSystem } from "./TransitionSystem.ts";
import type { Canonicalize } from "./types.ts";

/**
 * Shortest paths of a BFS rebuilt from its levels instead of stored links. Both searches give ids
 * in level order (level L holds ids `levelStarts[L] .. levelStarts[L+1]-1`), so a state of level L
 * was first reached from a state of level L-1, and the first state of level L-1 (in id order)
 * whose successors include it is the one that stored it in the sequential search: the path found
 * is the one a parent link per state would give, for 6 bytes a state fewer. (In a parallel search
 * the order of ids within a level follows the threads' timing, and so may the path: a shortest
 * one either way.)
 * Rebuilding costs a scan of the levels on the path: at most the search once more.
 */

/** The first state among ids `from..to-1` with an edge to `id`, and that edge's action (the first such), or null. */
export type FirstPredecessor = (id: number, from: number, to: number) => { readonly parent: number; readonly action: number } | null;

/** The level of state `id`: the last L with levelStarts[L] <= id. */
export function levelOf(levelStarts: readonly number[], id: number): number {
	let lo = 0;
	let hi = levelStarts.length - 1;
	while (lo < hi) {
		const mid = (lo + hi + 1) >> 1;
		if ((levelStarts[mid] as number) <= id) lo = mid;
		else hi = mid - 1;
	}
	return lo;
}

/** Ids on the shortest path from the initial state (id 0) to `id`, and the actions between them. */
export function shortestPath(levelStarts: readonly number[], id: number, firstPredecessor: FirstPredecessor): { ids: number[]; actions: number[] } {
	const ids = [id];
	const actions: number[] = [];
	for (let level = levelOf(levelStarts, id), v = id; level > 0; level--) {
		const found = firstPredecessor(v, levelStarts[level - 1] as number, levelStarts[level] as number);
		if (found === null) {
			throw new Error(`kvmcheck engine: internal error: state ${v} of BFS level ${level} has no predecessor in level ${level - 1} (a nondeterministic system?)`);
		}
		v = found.parent;
		ids.push(v);
		actions.push(found.action);
	}
	return { ids: ids.reverse(), actions: actions.reverse() };
}

/** A recorded graph in CSR form (EdgeStore, Graph): the edges of `u` are `target/action[start[u] .. start[u+1])`, in the order the search met them. */
export interface RecordedEdges {
	readonly start: Int32Array;
	readonly target: Int32Array;
	readonly action: Int32Array | Uint16Array;
}

/** Predecessors found on the recorded edges. */
export function recordedPredecessors({ start, target, action }: RecordedEdges): FirstPredecessor {
	return (id, from, to) => {
		for (let u = from; u < to; u++) {
			const end = start[u + 1] as number;
			for (let e = start[u] as number; e < end; e++) if (target[e] === id) return { parent: u, action: action[e] as number };
		}
		return null;
	};
}

/**
 * Predecessors found by generating the successors of each candidate again (canonicalized as the
 * search did) and comparing them with the stored words of `id` (no index needed).
 */
export function regeneratedPredecessors(sys: TransitionSystem, canonicalize: Canonicalize | null, store: { load(id: number, out: Uint32Array): void }): FirstPredecessor {
	const words = sys.stateWords;
	const want = new Uint32Array(words);
	const state = new Uint32Array(words);
	const next = new Uint32Array(words);
	return (id, from, to) => {
		store.load(id, want);
		for (let u = from; u < to; u++) {
			store.load(u, state);
			sys.load(state);
			let action = -1;
			sys.successors((a, s) => {
				if (action >= 0) return;
				next.set(s);
				canonicalize?.(next);
				let k = 0;
				while (k < words && next[k] === want[k]) k++;
				if (k === words) action = a;
			});
			if (action >= 0) return { parent: u, action };
		}
		return null;
	};
}
