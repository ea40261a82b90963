/**
 * Runs one spec variant at one configuration: build the machine, compile it (or interpret it with
 * XState for reference), bind the properties, explore, and shape the result for reports.
 */
import { type ExploreResult, explore, exploreParallel, type Progress, type Property, type Trace } from '../checker/engine/index.ts';
import { appendDrains, hasStoreBuffers, type MemoryModel } from '../checker/memory/index.ts';
import { type Counterexample, toCounterexample } from '../checker/report/counterexample.ts';
import { isLiveness, type MachineSystem } from '../checker/xstate/index.ts';
import type { Spec, SpecConfig, Variant } from '../specs/index.ts';
import { type Minimize, minimizeResult } from './reportMinimize.ts';
import { buildRunSystem, type RunSystem, specSystemFactory } from './systemFactory.ts';

export type Verdict = 'holds' | 'violated' | 'incomplete';

/** Which of a spec's properties a run checks. */
export type PropertySelection = 'all' | 'safety' | 'liveness';

export interface RunOptions {
  /** Default 'all'. */
  readonly properties?: PropertySelection;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly maxMemoryBytes?: number;
  /** Symmetry reduction over the spec's symmetric threads (default on). */
  readonly symmetry?: boolean;
  /** Use XState's own transition() instead of the compiled path (slow; for reference). */
  readonly interpreted?: boolean;
  /** Default 'sc'. Under a weak model only safety is checked (with a warning). */
  readonly memoryModel?: MemoryModel;
  readonly onProgress?: (p: Progress) => void;
  /** 'switches': of the shortest safety counterexamples, one with the fewest thread switches. */
  readonly minimize?: Minimize;
  /** Called after the search with the system, its bound properties and the counterexample (reports). */
  readonly onExplored?: (explored: Explored) => void;
}

/** What a run explored, for reports that need the live system (cli/report.ts). */
export interface Explored {
  readonly system: MachineSystem;
  readonly properties: readonly Property[];
  readonly trace: Trace | null;
}

/** One run, as `kvmcheck check --json` prints it (the documented contract, extended). */
export interface RunResult {
  readonly spec: string;
  readonly variant: string;
  readonly vcpus: number;
  readonly requesters: number;
  readonly expected: 'holds' | 'violated';
  readonly expectedProperty: string | null;
  readonly verdict: Verdict;
  readonly property: string | null;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly counterexample: Counterexample | null;
  readonly symmetry: boolean;
  readonly stoppedBy: ExploreResult['stoppedBy'];
  readonly warnings: readonly string[];
  /** Worker threads that explored (1: the sequential engine). */
  readonly workers: number;
  readonly memoryModel: MemoryModel;
}

/** The verdict matches the spec's expectation (a violation must break the expected property). */
export function asExpected(run: RunResult): boolean {
  if (run.verdict !== run.expected) return false;
  return run.verdict !== 'violated' || run.property === run.expectedProperty;
}

/**
 * The options a run really uses under its memory model, and why they differ: under a weak model
 * nothing makes a store buffer drain eventually (no fairness for drains), so liveness is not checked.
 */
function underMemoryModel<O extends RunOptions>(options: O): O {
  return (options.memoryModel ?? 'sc') === 'sc' ? options : { ...options, properties: 'safety' };
}

/** Warnings for what `underMemoryModel` changed (only where the run would have used it). */
function memoryModelWarnings(variant: Variant, config: SpecConfig, requested: RunOptions): string[] {
  const model = requested.memoryModel ?? 'sc';
  if (model === 'sc' || (requested.properties ?? 'all') === 'safety' || !variant.build(config).properties.some(isLiveness)) return [];
  return [`only safety properties are checked under ${model} (store buffer drains have no fairness)`];
}

/** A safety counterexample under a weak model, continued with the drains of the stores still buffered (checker/memory/drainTail.ts). */
function withDrains(run: RunSystem, result: ExploreResult): { result: ExploreResult; note: string[] } {
  const property = run.properties.find((p) => p.name === result.property);
  if (!hasStoreBuffers(run.system) || result.trace === null || property?.kind !== 'always') return { result, note: [] };
  const trace = appendDrains(run.system, property.holds, result.trace);
  const drains = trace.actions.length - result.trace.actions.length;
  if (drains === 0) return { result, note: [] };
  return { result: { ...result, trace }, note: [`the counterexample's last ${drains} step(s) drain store buffers after the violation, which they leave broken`] };
}

export function runVariant(spec: Spec, variant: Variant, config: SpecConfig, requested: RunOptions = {}): RunResult {
  const options = underMemoryModel(requested);
  const run = buildRunSystem(variant, config, options);
  const explored = explore(run.system, run.properties, {
    maxStates: options.maxStates,
    maxSeconds: options.maxSeconds,
    maxMemoryBytes: options.maxMemoryBytes,
    ...(run.canonicalize ? { canonicalize: run.canonicalize } : {}),
    ...(run.symmetry ? { symmetry: run.symmetry } : {}),
    onProgress: options.onProgress,
  });
  return runResult(spec, variant, config, options, run, explored, 1, memoryModelWarnings(variant, config, requested));
}

/** `runVariant` explored by `workers` worker threads (exploreParallel); the spec must be one of SPECS. */
export async function runVariantParallel(spec: Spec, variant: Variant, config: SpecConfig, requested: RunOptions & { readonly workers: number }): Promise<RunResult> {
  const options = underMemoryModel(requested);
  const run = buildRunSystem(variant, config, options);
  const factory = specSystemFactory({
    spec: spec.name,
    variant: variant.name,
    config: { vcpus: config.vcpus, requesters: config.requesters },
    properties: options.properties,
    symmetry: options.symmetry,
    interpreted: options.interpreted,
    memoryModel: options.memoryModel,
  });
  const explored = await exploreParallel(factory, {
    workers: options.workers,
    maxStates: options.maxStates,
    maxSeconds: options.maxSeconds,
    maxMemoryBytes: options.maxMemoryBytes,
    onProgress: options.onProgress,
  });
  return runResult(spec, variant, config, options, run, explored, options.workers, memoryModelWarnings(variant, config, requested));
}

/** Shapes an explored run for reports (minimizing its counterexample on request). */
function runResult(
  spec: Spec,
  variant: Variant,
  config: SpecConfig,
  options: RunOptions,
  run: RunSystem,
  explored: ExploreResult,
  workers: number,
  modelWarnings: readonly string[],
): RunResult {
  const { system, properties } = run;
  const { result, note } = withDrains(run, minimizeResult(system, properties, explored, options.minimize));
  options.onExplored?.({ system, properties, trace: result.trace });
  return {
    spec: spec.name,
    variant: variant.name,
    vcpus: config.vcpus,
    requesters: config.requesters,
    expected: run.expectedProperty === null ? 'holds' : 'violated',
    expectedProperty: run.expectedProperty,
    verdict: result.verdict,
    property: result.property,
    states: result.states,
    transitions: result.transitions,
    depth: result.depth,
    seconds: result.seconds,
    counterexample: result.trace ? toCounterexample(system, result.trace) : null,
    symmetry: result.symmetry,
    stoppedBy: result.stoppedBy,
    warnings: [...modelWarnings, ...note, ...result.warnings],
    workers,
    memoryModel: options.memoryModel ?? 'sc',
  };
}
