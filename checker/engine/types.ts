import type { MemoryBudget } from "./memory.ts";
/**
 * Public types of the search engine (re-exported by explore.ts and index.ts).
 */

/** Options of {@link explore}. Every bound is optional; without bounds the search is exhaustive. */
export interface ExploreOptions {
	/** Stop (verdict 'incomplete', stoppedBy 'max-states') rather than store more than this many distinct states. */
	maxStates?: number;
	/** Wall-clock bound in seconds (checked every few dozen expansions and during liveness analysis). */
	maxSeconds?: number;
	/**
	 * Bound on the engine's own typed-array memory (state store, index table, edges,
	 * liveness work arrays), counted at its peak (old and new array both alive while growing).
	 */
	maxMemoryBytes?: number;
	/** Default true: a state with no successors that is not `isFinal()` is a violation named 'deadlock'. */
	checkDeadlock?: boolean;
	/**
	 * Symmetry reduction: rewrites a state in place to the representative of its orbit. Must be a
	 * symmetry of the system and of every property, and a canonical form: every state of an orbit
	 * maps to the same representative, which it leaves unchanged. Not used for liveness: see `symmetry`.
	 */
	canonicalize?: Canonicalize;
	/**
	 * Symmetry reduction that names the thread permutation it applies, for runs with liveness
	 * properties (and for safety where `canonicalize` is not given). Liveness is then decided on
	 * the representatives (each property tracked through the permutations to its owner thread,
	 * fairness per orbit of the permutations the cycles compose) and a violation is lifted to a
	 * real lasso. It needs every liveness property to name its `owner` thread, with one instance
	 * per owner that the group maps into one another (same name); otherwise the run checks
	 * liveness without symmetry, with a warning.
	 */
	symmetry?: ThreadSymmetry;
	/** Called about every 0.5 s during the search, and as each liveness property's fair cycles are searched for (`Progress.liveness`). */
	onProgress?: (p: Progress) => void;
}

/** Rewrites `state` in place to its orbit's representative. */
export type Canonicalize = (state: Uint32Array) => void;

/** A symmetry reduction that says which permutation of the threads it applied (see ExploreOptions.symmetry). */
export interface ThreadSymmetry {
	/**
	 * The group's elements as thread permutations, distinct, the identity first: element i moves
	 * thread t to thread `elements[i][t]`. At most 256.
	 */
	readonly elements: readonly Int32Array[];
	/**
	 * Rewrites `state` in place to its orbit's representative (a canonical form, as for
	 * `canonicalize`) and returns the index of an element g with representative = g(state).
	 */
	readonly canonicalize: (state: Uint32Array) => number;
}

/** The bounds and reporting every search strategy runs under. */
export interface SearchBounds {
	readonly checkDeadlock: boolean;
	readonly maxStates: number;
	/** `performance.now()` deadline in ms (Infinity: none). */
	readonly deadline: number;
	readonly budget: MemoryBudget;
	readonly onProgress: ((p: Progress) => void) | null;
	/** `performance.now()` at the start, in ms. */
	readonly startTime: number;
}

/** A progress report. */
export interface Progress {
	/** Distinct states stored so far. */
	states: number;
	/** Transitions (emitted successors) explored so far. */
	transitions: number;
	/** Distance of the deepest state stored so far. */
	depth: number;
	/** States stored but not yet expanded. */
	frontier: number;
	/** Seconds since the search started. */
	seconds: number;
	/** Set once the states are explored: the liveness property whose fair cycles are being searched for. */
	liveness?: string;
}

/**
 * A counterexample: a real path of the (unreduced) system from its initial state.
 *
 * `states.length === actions.length + 1`; `actions[i]` leads from `states[i]` to `states[i+1]`.
 * For a liveness counterexample (a lasso), `loopStart` is the index where the cycle starts and the
 * last state equals `states[loopStart]`: the run repeats `states[loopStart..end]` forever.
 * `loopStart === states.length - 1` means stuttering forever in a terminal state (a state with no
 * successors at all): the cycle is that single state and takes no action.
 * `loopStart` is null for finite traces (safety violations and deadlocks).
 */
export interface Trace {
	states: Uint32Array[];
	actions: number[];
	loopStart: number | null;
}

/** The outcome of {@link explore}. */
export interface ExploreResult {
	/**
	 * 'violated': a counterexample was found (even if a bound was hit afterwards);
	 * 'incomplete': a bound stopped the search (or the liveness analysis) before a verdict;
	 * 'holds': every property holds in the whole reachable state space.
	 */
	verdict: "holds" | "violated" | "incomplete";
	/** The states were reduced by symmetry (`canonicalize` or `symmetry`, unless the run turned it off). */
	symmetry: boolean;
	/** Name of the violated property ('deadlock' for a deadlock), else null. */
	property: string | null;
	/** Distinct states stored. */
	states: number;
	/** Transitions explored (emitted successors, including those to already-seen states). */
	transitions: number;
	/** Distance from the initial state of the deepest stored state. */
	depth: number;
	/** Wall-clock seconds spent. */
	seconds: number;
	/** Shortest counterexample (a lasso for liveness), else null. */
	trace: Trace | null;
	/** The bound that stopped the search; non-null exactly when the verdict is 'incomplete'. */
	stoppedBy: "max-states" | "max-seconds" | "max-memory" | null;
	/** Non-fatal remarks (e.g. symmetry reduction turned off for liveness). */
	warnings: string[];
}

/** The bound that stopped a search. */
export type StopReason = NonNullable<ExploreResult["stoppedBy"]>;
