import type { EdgeStore } from "./edgeStore.ts";
import { buildLasso } from "./lasso.ts";
import { recordedPredecessors, regeneratedPredecessors, shortestPath } from "./levelPath.ts";
import { liftLasso } from "./liftLasso.ts";
import { FairCycleFinder, type Graph, TIMEOUT } from "./liveness.ts";
import { MemoryBudget } from "./memory.ts";
import { type Family, ownerFamilies, singletonFamilies } from "./propertyFamilies.ts";
import { type LivenessProperty, livenessProperties, PROGRESS_MS, safetyProperties, Search } from "./search.ts";
import type { StateStore } from "./stateStore.ts";
import { ThreadGroup } from "./threadGroup.ts";
import { concretize, traceOf } from "./trace.ts";
import type { Property, TransitionSystem } from "./TransitionSystem.ts";
import type { Canonicalize, ExploreOptions, ExploreResult, Progress, StopReason, ThreadSymmetry, Trace } from "./types.ts";

export type { ExploreOptions, ExploreResult, Progress, Trace } from "./types.ts";

/** What a search reports its figures through (null: it could not start). */
export interface SearchFigures {
	readonly store: { readonly count: number };
	readonly transitions: number;
	readonly depth: number;
}

/** Builds the results of a search started at `startTime`, with its figures as they are when called. */
export function resultOf(
	search: SearchFigures | null,
	startTime: number,
	warnings: string[],
	symmetry: boolean,
): (verdict: ExploreResult["verdict"], extra: Partial<ExploreResult>) => ExploreResult {
	return (verdict, extra) => ({
		verdict,
		symmetry,
		property: null,
		states: search?.store.count ?? 0,
		transitions: search?.transitions ?? 0,
		depth: search?.depth ?? 0,
		seconds: (performance.now() - startTime) / 1000,
		trace: null,
		stoppedBy: null,
		warnings,
		...extra,
	});
}

/**
 * Explores the reachable state space of `system` breadth-first and checks `properties`.
 *
 * - Safety (`always`) properties are checked on every stored state and deadlock (no successors,
 *   not `isFinal()`, unless `checkDeadlock: false`) on every expanded state; the first violation
 *   stops the search and comes with a shortest counterexample from the initial state.
 * - Liveness (`eventually`, `leadsTo`) is decided, under weak fairness per thread, only once the
 *   safety check completed without violation; its counterexample is a lasso (see {@link Trace}).
 * - With `canonicalize` (or `symmetry`), only orbit representatives are stored and the
 *   counterexample is replayed into a real path of the unreduced system (throws if that fails).
 *   Liveness runs under symmetry only with `symmetry` and properties that name their owner threads
 *   (see ExploreOptions.symmetry); otherwise symmetry reduction is turned off, with a warning.
 * - Bounds stop the search with verdict 'incomplete' and `stoppedBy` set, never 'holds'.
 *
 * Throws only on invalid options, on an invalid system (action thread out of range), on a failed
 * symmetry replay or lift, or when the system's own callbacks throw.
 */
export function explore(
	system: TransitionSystem,
	properties: readonly Property[],
	options: ExploreOptions = {},
): ExploreResult {
	const startTime = performance.now();
	const maxStates = bound(options.maxStates, "maxStates");
	const maxSeconds = bound(options.maxSeconds, "maxSeconds");
	const budget = new MemoryBudget(bound(options.maxMemoryBytes, "maxMemoryBytes"));
	const warnings: string[] = [];
	const safety = safetyProperties(properties);
	const liveness = livenessProperties(properties);
	const reduction = reductionOf(system, liveness, options, warnings);
	const { canonicalize } = reduction;
	const deadline = startTime + maxSeconds * 1000;
	const search = Search.create(system, {
		safety,
		liveness,
		canonicalize,
		recordElements: reduction.symmetry !== null,
		checkDeadlock: options.checkDeadlock ?? true,
		maxStates,
		deadline,
		budget,
		onProgress: options.onProgress ?? null,
		startTime,
	});
	const result = resultOf(search, startTime, warnings, canonicalize !== null);
	if (search === null) return result("incomplete", { stoppedBy: "max-memory" });
	search.run();
	if (search.violationId >= 0) {
		const property = search.violationProperty as string;
		const trace = safetyTrace(system, search, canonicalize, property, safety, warnings);
		return result("violated", { property, trace });
	}
	if (search.stoppedBy !== null) return result("incomplete", { stoppedBy: search.stoppedBy });
	if (liveness.length === 0) return result("holds", {});
	const recorded = { store: search.store, edges: search.edges as EdgeStore, levelStarts: search.levelStarts };
	return livenessResult(system, recorded, reduction, budget, deadline, livenessProgress(search, startTime, options.onProgress), result);
}

/** A complete search's graph, recorded for the liveness analysis, and where its levels begin (levelPath.ts). */
export interface RecordedGraph {
	readonly store: StateStore;
	readonly edges: EdgeStore;
	readonly levelStarts: readonly number[];
}

/** The result of a run whose search completed without a safety violation: its liveness properties decided on the recorded graph. */
export function livenessResult(
	system: TransitionSystem,
	recorded: RecordedGraph,
	reduction: Reduction,
	budget: MemoryBudget,
	deadline: number,
	progress: ((property: string) => () => void) | null,
	result: (verdict: ExploreResult["verdict"], extra: Partial<ExploreResult>) => ExploreResult,
): ExploreResult {
	const outcome = checkLiveness(system, recorded, reduction, budget, deadline, progress);
	if (typeof outcome === "string") return result("incomplete", { stoppedBy: outcome });
	if (outcome !== null) return result("violated", outcome);
	return result("holds", {});
}

/** Option `name` of entry point `caller`: a non-negative number, Infinity when absent; throws otherwise. */
export function bound(value: number | undefined, name: string, caller = "explore"): number {
	if (value === undefined) return Number.POSITIVE_INFINITY;
	if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
		throw new Error(`${caller}: option ${name} must be a non-negative number, got ${String(value)}`);
	}
	return value;
}

/** A finished search (sequential or parallel) that found a safety violation or deadlock at state `violationId`. */
export interface ViolatingSearch {
	readonly store: { load(id: number, out: Uint32Array): void; copyState(id: number): Uint32Array };
	readonly levelStarts: readonly number[];
	readonly violationId: number;
}

/**
 * The shortest trace to the violating state, re-concretized under symmetry (with a warning if the
 * concrete end state does not violate `property`, one of `properties` or "deadlock").
 */
export function safetyTrace(
	system: TransitionSystem,
	search: ViolatingSearch,
	canonicalize: Canonicalize | null,
	property: string,
	properties: readonly Property[],
	warnings: string[],
): Trace {
	const store = search.store;
	const { ids, actions } = shortestPath(search.levelStarts, search.violationId, regeneratedPredecessors(system, canonicalize, store));
	const reps = ids.map((id) => store.copyState(id));
	if (canonicalize === null) return { states: reps, actions, loopStart: null };
	const trace = concretize(system, canonicalize, reps, actions);
	const last = trace.states[trace.states.length - 1] as Uint32Array;
	system.load(last);
	let violates: boolean;
	if (property === "deadlock") {
		let successors = 0;
		system.successors(() => {
			successors++;
		});
		violates = successors === 0 && !system.isFinal();
	} else {
		violates = properties.some((p) => p.kind === "always" && p.name === property && !p.holds());
	}
	if (!violates) {
		warnings.push(
			`the re-concretized counterexample's last state does not violate '${property}' although its representative ` +
				"does: canonicalize is probably not a symmetry of this property",
		);
	}
	return trace;
}

/**
 * How a run reduces its states: `canonicalize` (null: not at all); `symmetry`, whose canonicalizer it
 * is, when liveness is checked under symmetry, with the families it forms.
 */
export interface Reduction {
	readonly canonicalize: Canonicalize | null;
	readonly symmetry: ThreadSymmetry | null;
	readonly group: ThreadGroup;
	readonly families: readonly Family[];
}

/** The reduction of a run of `system` with these liveness properties (a warning where one is turned off). */
export function reductionOf(system: TransitionSystem, liveness: readonly LivenessProperty[], options: ExploreOptions, warnings: string[]): Reduction {
	const threads = system.threads.length;
	const plain = { symmetry: null, group: ThreadGroup.trivial(threads), families: singletonFamilies(liveness) };
	const symmetry = options.symmetry ?? null;
	if (liveness.length === 0) {
		const canonicalize = options.canonicalize ?? (symmetry === null ? null : symmetry.canonicalize);
		return { ...plain, canonicalize };
	}
	if (symmetry === null) {
		if (options.canonicalize !== undefined) warnings.push("symmetry reduction (canonicalize) was turned off: liveness under symmetry needs ExploreOptions.symmetry");
		return { ...plain, canonicalize: null };
	}
	const group = ThreadGroup.of(symmetry, threads);
	const families = ownerFamilies(liveness, group);
	if (typeof families === "string") {
		warnings.push(`symmetry reduction was turned off: ${families}`);
		return { ...plain, canonicalize: null };
	}
	return { canonicalize: symmetry.canonicalize, symmetry, group, families };
}

/**
 * The progress reporter of the fair-cycle searches: for each property, a function that reports at
 * once and then at most every PROGRESS_MS (null without `onProgress`).
 */
export function livenessProgress(search: SearchFigures, startTime: number, onProgress: ((p: Progress) => void) | undefined): ((property: string) => () => void) | null {
	if (onProgress === undefined) return null;
	return (property) => {
		let last = Number.NEGATIVE_INFINITY;
		const report = (): void => {
			const now = performance.now();
			if (now - last < PROGRESS_MS) return;
			last = now;
			const { store, transitions, depth } = search;
			onProgress({ states: store.count, transitions, depth, frontier: 0, seconds: (now - startTime) / 1000, liveness: property });
		};
		report();
		return report;
	};
}

/** Checks each liveness property on the complete explored graph: the first violation, null, or the bound that stopped the analysis. */
function checkLiveness(
	system: TransitionSystem,
	{ store, edges, levelStarts }: RecordedGraph,
	reduction: Reduction,
	budget: MemoryBudget,
	deadline: number,
	progress: ((property: string) => () => void) | null,
): { property: string; trace: Trace } | StopReason | null {
	const threadCount = system.threads.length;
	const actionThread = Int32Array.from(system.actions, (a, i) => {
		if (!Number.isInteger(a.thread) || a.thread < 0 || a.thread >= threadCount) {
			throw new Error(`explore: action ${i} ('${a.name}') has thread ${a.thread}, not in 0..${threadCount - 1}`);
		}
		return a.thread;
	});
	const { symmetry, group, families } = reduction;
	// the lookups are done; a lifted lasso rebuilds the index
	store.dropIndex();
	const g: Graph = { n: store.count, start: edges.start, target: edges.target, action: edges.action, actionThread, threadCount, element: edges.element, group };
	const finder = FairCycleFinder.create(g, budget, Math.max(...families.map((f) => f.members.length)));
	if (finder === null) return "max-memory";
	for (const family of families) {
		const labels = { labels: store.labels, stride: store.labelStride, members: family.members, ownerImage: family.ownerImage };
		const witness = finder.check(labels, deadline, progress?.(family.name) ?? null);
		if (witness === TIMEOUT) return "max-seconds";
		if (witness < 0) continue;
		if (symmetry === null) {
			const lasso = buildLasso(finder, labels, shortestPath(levelStarts, witness, recordedPredecessors(g)));
			return { property: family.name, trace: traceOf(store, lasso.ids, lasso.actions, lasso.loopStart) };
		}
		const trace = liftLasso(system, symmetry, group, { store, levelStarts }, { finder, family, witness }, budget, deadline);
		return typeof trace === "string" ? trace : { property: family.name, trace };
	}
	return null;
}
