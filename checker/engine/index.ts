/**
 * The search engine's public API: `explore` a TransitionSystem against Properties.
 * The engine knows nothing about XState or KVM.
 */
export { explore } from "./explore.ts";
export { exploreParallel, type ParallelExploreOptions } from "./parallel/exploreParallel.ts";
export type { SystemBundle, SystemFactory } from "./parallel/factory.ts";
export { type MinimizeSwitchesOptions, type MinimizeSwitchesResult, minimizeSwitches, threadSwitches } from "./minimizeSwitches.ts";
export type { Canonicalize, ExploreOptions, ExploreResult, Progress, ThreadSymmetry, Trace } from "./types.ts";
export type {
	ActionLabel,
	Property,
	StateDescription,
	StatePredicate,
	TransitionSystem,
} from "./TransitionSystem.ts";
