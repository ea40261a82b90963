import { MemoryBudget } from "./memory.ts";
import { NO_ROOM, StateStore } from "./stateStore.ts";
import { traceOf } from "./trace.ts";
import type { TransitionSystem } from "./TransitionSystem.ts";
import type { Trace } from "./types.ts";

/** Options of {@link minimizeSwitches}. */
export interface MinimizeSwitchesOptions {
	/** Give up (outcome 'max-states') rather than store more than this many distinct states. */
	readonly maxStates?: number;
}

/** The outcome of {@link minimizeSwitches}. */
export type MinimizeSwitchesResult =
	/** A shortest path to a target with the fewest thread switches among all shortest paths. */
	| { readonly kind: "found"; readonly trace: Trace; readonly switches: number }
	/** No target within `depth` steps of the initial state. */
	| { readonly kind: "none" }
	/** `maxStates` was reached before the search settled. */
	| { readonly kind: "max-states" };

/** Thread switches of a path: steps whose thread differs from the previous step's. */
export function threadSwitches(system: TransitionSystem, actions: readonly number[]): number {
	let switches = 0;
	for (let i = 1; i < actions.length; i++) {
		if (system.actions[actions[i] as number]?.thread !== system.actions[actions[i - 1] as number]?.thread) switches++;
	}
	return switches;
}

/**
 * Among the shortest paths from the initial state to a *target* state, finds one with the fewest
 * thread switches (TLC issue #1084: interleavings people can follow).
 *
 * A breadth-first search of the unreduced system, layer by layer up to `depth`, computes for every
 * state v at BFS distance d and every thread t the fewest switches of a length-d path to v whose
 * last step is t's: cost(v, t) = min over edges u -(action of t)-> v with u at distance d-1 of
 * min(cost(u, t), min over t' of cost(u, t') + 1). Only edges of the shortest-path DAG matter, since
 * every prefix of a shortest path is a shortest path. The first layer holding a target gives the
 * length; its target of least cost is the end of the path.
 *
 * `isTarget(state)` is called right after `system.load(state)`, once per stored state, so it may
 * read the loaded state (like a Property) or compare `state`. Deterministic: ties go to the state
 * stored first, to the thread that continues, then to the lower action id. Symmetry reduction is
 * not used: the thread identities along a path are what is minimized.
 */
export function minimizeSwitches(
	system: TransitionSystem,
	isTarget: (state: Uint32Array) => boolean,
	depth: number,
	options: MinimizeSwitchesOptions = {},
): MinimizeSwitchesResult {
	const store = StateStore.create(system.stateWords, 0, options.maxStates ?? Number.POSITIVE_INFINITY, new MemoryBudget(Number.POSITIVE_INFINITY));
	if (store === null) return { kind: "max-states" };
	const search = new SwitchSearch(system, store);
	if (!search.start()) return { kind: "max-states" };
	let start = 0;
	let end = 1;
	for (let level = 0; ; level++) {
		const best = search.bestTarget(isTarget, start, end);
		if (best !== null) return { kind: "found", trace: search.path(best.id, best.thread), switches: best.cost };
		if (level >= depth) return { kind: "none" };
		if (!search.expandLevel(start, end)) return { kind: "max-states" };
		start = end;
		end = store.count;
		if (start === end) return { kind: "none" };
	}
}

/** The layered BFS with, per (state id, last thread), the fewest switches and where they came from. */
class SwitchSearch {
	private readonly threads: number;
	private readonly buf: Uint32Array;
	private readonly cost: number[] = [];
	private readonly from: number[] = [];
	private readonly fromThread: number[] = [];
	private readonly via: number[] = [];

	constructor(
		private readonly system: TransitionSystem,
		private readonly store: StateStore,
	) {
		this.threads = system.threads.length;
		this.buf = new Uint32Array(system.stateWords);
	}

	/** Stores the initial state (its first step is no switch, whatever the thread). */
	start(): boolean {
		this.system.initial(this.buf);
		if (this.store.findOrAdd(this.buf) === NO_ROOM) return false;
		this.grow(0);
		return true;
	}

	/** Expands the states `start..end-1` (one BFS layer), relaxing the costs of the next layer. False when the store is full. */
	expandLevel(start: number, end: number): boolean {
		const { system, store, threads, cost } = this;
		let full = false;
		for (let u = start; u < end && !full; u++) {
			let uBest = Number.POSITIVE_INFINITY;
			let uBestThread = -1;
			for (let t = 0; t < threads; t++) {
				if ((cost[u * threads + t] as number) < uBest) {
					uBest = cost[u * threads + t] as number;
					uBestThread = t;
				}
			}
			store.load(u, this.buf);
			system.load(this.buf);
			system.successors((action, next) => {
				if (full) return;
				const r = store.findOrAdd(next);
				if (r === NO_ROOM) {
					full = true;
					return;
				}
				const v = r < 0 ? ~r : r;
				if (v < end) return; // not one step further from the initial state
				if (r < 0) this.grow(Number.POSITIVE_INFINITY);
				const t = (system.actions[action] as { thread: number }).thread;
				const stay = cost[u * threads + t] as number;
				const k = v * threads + t;
				if (Math.min(stay, uBest + 1) < (cost[k] as number)) {
					cost[k] = Math.min(stay, uBest + 1);
					this.from[k] = u;
					this.fromThread[k] = stay <= uBest + 1 ? t : uBestThread;
					this.via[k] = action;
				}
			});
		}
		return !full;
	}

	/** The target of least cost among the states `start..end-1` (first stored, then lowest thread), or null. */
	bestTarget(isTarget: (state: Uint32Array) => boolean, start: number, end: number): { id: number; thread: number; cost: number } | null {
		let best: { id: number; thread: number; cost: number } | null = null;
		for (let v = start; v < end; v++) {
			this.store.load(v, this.buf);
			this.system.load(this.buf);
			if (!isTarget(this.buf)) continue;
			for (let t = 0; t < this.threads; t++) {
				const c = this.cost[v * this.threads + t] as number;
				if (best === null || c < best.cost) best = { id: v, thread: t, cost: c };
			}
		}
		return best;
	}

	/** The path that achieves cost(id, thread), from the initial state. */
	path(id: number, thread: number): Trace {
		const ids: number[] = [];
		const actions: number[] = [];
		for (let v = id, t = thread; v !== 0; ) {
			const k = v * this.threads + t;
			ids.push(v);
			actions.push(this.via[k] as number);
			v = this.from[k] as number;
			t = this.fromThread[k] as number;
		}
		ids.push(0);
		return traceOf(this.store, ids.reverse(), actions.reverse(), null);
	}

	/** Appends the per-thread slots of a newly stored state. */
	private grow(initialCost: number): void {
		for (let t = 0; t < this.threads; t++) {
			this.cost.push(initialCost);
			this.from.push(-1);
			this.fromThread.push(-1);
			this.via.push(-1);
		}
	}
}
