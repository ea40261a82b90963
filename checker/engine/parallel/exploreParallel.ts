import type { EdgeStore } from "../edgeStore.ts";
import { bound, livenessProgress, livenessResult, resultOf, safetyTrace } from "../explore.ts";
import { MemoryBudget } from "../memory.ts";
import { type LivenessProperty, livenessProperties, type SafetyProperty, safetyProperties, writeLabels } from "../search.ts";
import { NO_ROOM, StateStore } from "../stateStore.ts";
import type { TransitionSystem } from "../TransitionSystem.ts";
import type { Canonicalize, ExploreOptions, ExploreResult } from "../types.ts";
import { bundleReduction, loadFactory, type SystemFactory } from "./factory.ts";
import { ParallelSearch } from "./ParallelSearch.ts";

/** Default of ParallelExploreOptions.startWorkersAfterSeconds. */
const START_WORKERS_AFTER_SECONDS = 1.5;

/** Options of {@link exploreParallel}: those of `explore`, except that symmetry comes from the factory. */
export interface ParallelExploreOptions extends Omit<ExploreOptions, "canonicalize"> {
	/** Threads that explore (a positive integer): the calling thread and `workers - 1` worker threads. */
	workers: number;
	/**
	 * Seconds the calling thread explores alone before new worker threads start loading (default
	 * 1.5): loading one takes about a second, during which it competes for the CPU with the calling
	 * thread, so a run shorter than that only loses by it (measured: guest-mode 2x2 with symmetry, 2
	 * threads, 0.86 s with the delay against 1.39 s without; 1 thread 0.85 s). A pool released by an
	 * earlier run (already loaded) takes part from the start whatever this is.
	 */
	startWorkersAfterSeconds?: number;
}

/**
 * Explores the system the factory builds with `workers` threads (the calling one and `workers - 1`
 * worker threads, which start loading after `startWorkersAfterSeconds` and join as soon as they
 * have loaded) over one shared state store, and checks its properties and deadlock; the same
 * contract as `explore`:
 *
 * - 'holds' runs give exactly the sequential engine's states, transitions and depth;
 * - a violation comes with a shortest counterexample (re-concretized under symmetry). The violating
 *   state is the least, by its words, of the violations at the least depth, so the verdict, the
 *   property, the counterexample's length and (without symmetry) its last state do not depend on
 *   thread timing (the path may: it is rebuilt from the levels, levelPath.ts, whose ids are in the
 *   order the threads stored them). Every level is
 *   finished before a verdict, so `states` counts the whole last level (the sequential engine stops
 *   storing at the first violation);
 * - bounds stop with 'incomplete'; at most `maxStates` states are stored. When the store is full,
 *   a level that has found a violation is still scanned to its end for deadlocks (so the violation
 *   is still a shortest one); otherwise the run stops there;
 * - liveness properties (decided once the safety check completed without violation): the explorers
 *   label the states and record the edges as they go (the graph `explore` records, up to the order
 *   of ids within a level), and the fair-cycle searches then run in the calling thread on that
 *   graph, as `explore`'s do: the same verdicts and figures; a violation's lasso may differ from
 *   `explore`'s (the searches follow the ids);
 *
 * The factory is also loaded in the calling thread (for the initial state and the counterexample).
 * Throws on invalid options, when the factory or a worker fails, or on a failed symmetry replay.
 */
export async function exploreParallel(factory: SystemFactory, options: ParallelExploreOptions): Promise<ExploreResult> {
	const startTime = performance.now();
	const workers = options.workers;
	if (!Number.isSafeInteger(workers) || workers < 1) throw new Error(`exploreParallel: workers must be a positive integer, got ${String(workers)}`);
	const maxStates = bound(options.maxStates, "maxStates", "exploreParallel");
	const maxSeconds = bound(options.maxSeconds, "maxSeconds", "exploreParallel");
	const maxMemoryBytes = bound(options.maxMemoryBytes, "maxMemoryBytes", "exploreParallel");
	const startWorkersAfter = options.startWorkersAfterSeconds === undefined ? START_WORKERS_AFTER_SECONDS : bound(options.startWorkersAfterSeconds, "startWorkersAfterSeconds", "exploreParallel");
	const bundle = await loadFactory(factory);
	const { system, properties } = bundle;
	const warnings: string[] = [];
	const safety = safetyProperties(properties);
	const liveness = livenessProperties(properties);
	const reduction = bundleReduction(bundle, warnings);
	const budget = new MemoryBudget(maxMemoryBytes);
	const deadline = startTime + maxSeconds * 1000;
	const search = ParallelSearch.create(bundle, {
		factory,
		workers,
		stateWords: system.stateWords,
		actions: system.actions.length,
		startWorkersAt: startTime + startWorkersAfter * 1000,
		liveness: liveness.length,
		recordElements: reduction.symmetry !== null,
		checkDeadlock: options.checkDeadlock ?? true,
		maxStates,
		deadline,
		budget,
		onProgress: options.onProgress ?? null,
		startTime,
	});
	const result = resultOf(search, startTime, warnings, reduction.canonicalize !== null);
	if (search === null) return result("incomplete", { stoppedBy: "max-memory" });
	if (!storeInitial(search, system, reduction.canonicalize, liveness)) return result("incomplete", { stoppedBy: search.storeFullReason });
	const failing = safety.findIndex((p) => !p.holds());
	if (failing >= 0) {
		search.violationId = 0;
		search.violationProperty = failing;
	} else {
		await search.run();
	}
	if (search.violationId >= 0) {
		const property = search.violationProperty < 0 ? "deadlock" : (safety[search.violationProperty] as SafetyProperty).name;
		return result("violated", { property, trace: safetyTrace(system, search, reduction.canonicalize, property, safety, warnings) });
	}
	if (search.stoppedBy !== null) return result("incomplete", { stoppedBy: search.stoppedBy });
	if (liveness.length === 0) return result("holds", {});
	// the worker threads are done: the fair-cycle searches run here, on the states and edges as stored
	const store = search.store;
	store.dropIndex(budget);
	const count = store.count;
	const states = StateStore.adopt(system.stateWords, store.data.subarray(0, count * system.stateWords), store.labels, store.labelStride, count, budget);
	const recorded = { store: states, edges: search.edges as EdgeStore, levelStarts: search.levelStarts };
	return livenessResult(system, recorded, reduction, budget, deadline, livenessProgress(search, startTime, options.onProgress), result);
}

/**
 * Stores `system`'s initial state (canonicalized) as `search`'s state 0 and labels it, leaving the
 * system loaded with it; false when the store has no room.
 */
export function storeInitial(search: ParallelSearch, system: TransitionSystem, canonicalize: Canonicalize | null, liveness: readonly LivenessProperty[]): boolean {
	const init = new Uint32Array(system.stateWords);
	system.initial(init);
	canonicalize?.(init);
	if (search.store.findOrAdd(init) === NO_ROOM) return false;
	system.load(init);
	writeLabels(search.store.labels, search.store.labelStride, 0, liveness);
	return true;
}

