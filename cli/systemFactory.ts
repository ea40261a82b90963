/**
 * How a run of a spec variant becomes a system the engines explore: the machine compiled (or
 * interpreted), its selected properties bound to it, and its symmetry reduction. One builder for
 * the sequential path (runSpec.ts) and for exploreParallel's workers, which rebuild the system in
 * their own thread from `specSystem`'s structured-cloneable arguments.
 */
import type { Property, SystemBundle, SystemFactory, ThreadSymmetry } from '../checker/engine/index.ts';
import { applyMemoryModel, type MemoryModel, symmetryReduction } from '../checker/memory/index.ts';
import { bindProperties, compileMachine, interpretMachine, isLiveness, type MachineSystem, threadSymmetry } from '../checker/xstate/index.ts';
import { expectedVerdict, SPECS, type SpecConfig, type Variant } from '../specs/index.ts';
import type { PropertySelection } from './runSpec.ts';

/** What decides the system of a run, besides the variant and configuration. */
export interface SystemOptions {
  /** Default 'all'. */
  readonly properties?: PropertySelection;
  /** Symmetry reduction over the spec's symmetric threads (default on). */
  readonly symmetry?: boolean;
  /** Use XState's own transition() instead of the compiled path. */
  readonly interpreted?: boolean;
  /** Default 'sc'. A weak model runs on the compiled path only (the interpreted path is SC). */
  readonly memoryModel?: MemoryModel;
}

/** A run's system, its properties bound to it, its canonicalizer, and what the run may expect. */
export interface RunSystem extends SystemBundle {
  readonly system: MachineSystem;
  readonly properties: Property[];
  /** The symmetry reduction of a safety run. */
  readonly canonicalize: ((state: Uint32Array) => void) | null;
  /** The symmetry reduction of a run with liveness properties (it names each permutation it applies; sc only). */
  readonly symmetry: ThreadSymmetry | null;
  /** Some selected property is a liveness property. */
  readonly liveness: boolean;
  /** The property the variant is expected to violate, when this run checks it. */
  readonly expectedProperty: string | null;
}

export function buildRunSystem(variant: Variant, config: SpecConfig, options: SystemOptions = {}): RunSystem {
  if (options.interpreted && (options.memoryModel ?? 'sc') !== 'sc') throw new Error('the interpreted path is sequentially consistent: it runs under memory model sc only');
  const instance = variant.build(config);
  const selection = options.properties ?? 'all';
  const properties = instance.properties.filter((p) => selection === 'all' || (selection === 'liveness') === isLiveness(p));
  // a variant expected to break a property that this run does not check must hold for the rest
  const expected = expectedVerdict(variant, options.memoryModel ?? 'sc');
  const expectedProperty = expected.verdict === 'violated' && properties.some((p) => p.name === expected.property) ? expected.property : null;
  const system = options.interpreted ? interpretMachine(instance.machine) : applyMemoryModel(instance.machine, compileMachine(instance.machine), options.memoryModel ?? 'sc');
  // liveness needs the reduction that names its permutations (the engine tracks threads through them)
  const liveness = properties.some(isLiveness);
  const reduce = options.symmetry ?? true;
  const canonicalize = reduce && !liveness ? symmetryReduction(system) : null;
  const symmetry = reduce && liveness ? threadSymmetry(system.layout) : null;
  return { system, properties: bindProperties(system, properties), canonicalize, symmetry, liveness, expectedProperty };
}

/** The arguments of `specSystem`: a registered spec and variant by name. */
export interface SpecSystemArgs extends SystemOptions {
  readonly spec: string;
  readonly variant: string;
  readonly config: SpecConfig;
}

/** The factory export exploreParallel's workers call: the system of a registered spec's variant. */
export function specSystem(args: SpecSystemArgs): RunSystem {
  const spec = SPECS.find((s) => s.name === args.spec);
  const variant = spec?.variants.find((v) => v.name === args.variant);
  if (!variant) throw new Error(`specSystem: no registered spec '${args.spec}' with variant '${args.variant}'`);
  return buildRunSystem(variant, args.config, args);
}

/** The factory description of `specSystem(args)`, for exploreParallel. */
export function specSystemFactory(args: SpecSystemArgs): SystemFactory {
  return { module: import.meta.url, export: 'specSystem', args };
}
