/**
 * Runs one spec variant at one configuration: build the machine, compile it (or interpret it with
 * XState for reference), bind the properties, explore, and shape the result for reports.
 */
import { type ExploreResult, explore, type Progress, type Property, type Trace } from '../checker/engine/index.ts';
import { type Counterexample, toCounterexample } from '../checker/report/counterexample.ts';
import { bindProperties, compileMachine, interpretMachine, isLiveness, type MachineSystem, symmetryCanonicalizer } from '../checker/xstate/index.ts';
import type { Spec, SpecConfig, Variant } from '../specs/index.ts';
import { type Minimize, minimizeResult } from './reportMinimize.ts';

export type Verdict = 'holds' | 'violated' | 'incomplete';

/** Which of a spec's properties a run checks. */
export type PropertySelection = 'all' | 'safety' | 'liveness';

export interface RunOptions {
  /** Default 'all'. Liveness turns symmetry reduction off; 'safety' keeps it on big configurations. */
  readonly properties?: PropertySelection;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly maxMemoryBytes?: number;
  /** Symmetry reduction over the spec's symmetric threads (default on). */
  readonly symmetry?: boolean;
  /** Use XState's own transition() instead of the compiled path (slow; for reference). */
  readonly interpreted?: boolean;
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
}

/** The verdict matches the spec's expectation (a violation must break the expected property). */
export function asExpected(run: RunResult): boolean {
  if (run.verdict !== run.expected) return false;
  return run.verdict !== 'violated' || run.property === run.expectedProperty;
}

export function runVariant(spec: Spec, variant: Variant, config: SpecConfig, options: RunOptions = {}): RunResult {
  const instance = variant.build(config);
  const selection = options.properties ?? 'all';
  const properties = instance.properties.filter((p) => selection === 'all' || (selection === 'liveness') === isLiveness(p));
  // a variant expected to break a property that this run does not check must hold for the rest
  const expected = variant.expected;
  const expectedProperty = expected.verdict === 'violated' && properties.some((p) => p.name === expected.property) ? expected.property : null;
  const system = options.interpreted ? interpretMachine(instance.machine) : compileMachine(instance.machine);
  // symmetry reduction is sound here for safety only; with liveness properties it stays off
  const liveness = properties.some(isLiveness);
  const canonicalize = (options.symmetry ?? true) && !liveness ? symmetryCanonicalizer(system.layout) : null;
  const bound = bindProperties(system, properties);
  const explored = explore(system, bound, {
    maxStates: options.maxStates,
    maxSeconds: options.maxSeconds,
    maxMemoryBytes: options.maxMemoryBytes,
    ...(canonicalize ? { canonicalize } : {}),
    onProgress: options.onProgress,
  });
  const result = minimizeResult(system, bound, explored, options.minimize);
  options.onExplored?.({ system, properties: bound, trace: result.trace });
  return {
    spec: spec.name,
    variant: variant.name,
    vcpus: config.vcpus,
    requesters: config.requesters,
    expected: expectedProperty === null ? 'holds' : 'violated',
    expectedProperty,
    verdict: result.verdict,
    property: result.property,
    states: result.states,
    transitions: result.transitions,
    depth: result.depth,
    seconds: result.seconds,
    counterexample: result.trace ? toCounterexample(system, result.trace) : null,
    symmetry: canonicalize !== null,
    stoppedBy: result.stoppedBy,
    warnings: liveness && (options.symmetry ?? true) ? ['symmetry reduction is off: this run checks liveness properties', ...result.warnings] : result.warnings,
  };
}
