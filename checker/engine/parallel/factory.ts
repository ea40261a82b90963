import { type Reduction, reductionOf } from "../explore.ts";
import { livenessProperties } from "../search.ts";
import type { Property, TransitionSystem } from "../TransitionSystem.ts";
import type { Canonicalize, ThreadSymmetry } from "../types.ts";

/**
 * What a worker thread needs to rebuild a system (a TransitionSystem cannot cross threads): the
 * module (a file URL), the name of its export, and that export's structured-cloneable argument.
 * The export is a function `(args) => SystemBundle`; it must build the same system every time it
 * is called with the same `args` (same state layout, same action ids).
 */
export interface SystemFactory {
	readonly module: string;
	readonly export: string;
	readonly args: unknown;
}

/** A system, its properties (bound to that system) and optionally its symmetry reduction. */
export interface SystemBundle {
	readonly system: TransitionSystem;
	readonly properties: readonly Property[];
	/** Rewrites a state in place to its orbit representative (see ExploreOptions.canonicalize). */
	readonly canonicalize?: Canonicalize | null;
	/** The symmetry reduction liveness runs use (see ExploreOptions.symmetry). */
	readonly symmetry?: ThreadSymmetry | null;
}

/** Imports the factory's module and calls its export. Throws with the factory named when either fails. */
export async function loadFactory(factory: SystemFactory): Promise<SystemBundle> {
	const mod = (await import(factory.module)) as Record<string, unknown>;
	const build = mod[factory.export];
	if (typeof build !== "function") {
		throw new Error(`exploreParallel: ${factory.module} has no function export '${factory.export}'`);
	}
	const bundle = (build as (args: unknown) => SystemBundle)(factory.args);
	if (bundle === null || typeof bundle !== "object" || typeof bundle.system !== "object" || !Array.isArray(bundle.properties)) {
		throw new Error(`exploreParallel: ${factory.module}#${factory.export} did not return { system, properties }`);
	}
	return bundle;
}

/** The reduction a run of `bundle` applies (the sequential engine's rule, explore.ts); the same in every thread that builds it. */
export function bundleReduction(bundle: SystemBundle, warnings: string[]): Reduction {
	return reductionOf(bundle.system, livenessProperties(bundle.properties), { canonicalize: bundle.canonicalize ?? undefined, symmetry: bundle.symmetry ?? undefined }, warnings);
}
