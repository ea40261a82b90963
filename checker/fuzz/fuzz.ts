/**
 * `fuzz`: random schedules (schedule.ts) over a StepSystem with fast-check, checking safety
 * properties on every state. A violating schedule is shrunk by fast-check and comes back as a
 * trace with the seed and path that replay it (fast-check's `seed`, `path`, `endOnFailure`).
 */
import fc from 'fast-check';
import type { Trace } from '../engine/types.ts';
import { Coverage, type CoverageReport } from './coverage.ts';
import { actionKinds, threadKinds } from './kinds.ts';
import { type SafetyCheck, ScheduleRunner } from './runner.ts';
import { type Schedule, scheduleArbitrary } from './schedule.ts';
import type { StepSystem } from './StepSystem.ts';

export interface FuzzOptions {
  /** Schedules to try (fast-check `numRuns`). */
  readonly runs: number;
  /** Steps per schedule at most. */
  readonly maxSteps: number;
  /** Steps per burst at most (default: 8 per thread, at most maxSteps). */
  readonly maxBurst?: number;
  /** Bursts per schedule at most (default maxSteps / 16, at least 16). */
  readonly maxBursts?: number;
  /** fast-check seed (a 32-bit integer). */
  readonly seed: number;
  /** Replays this counterexample path of `seed` (as printed with a violation) instead of searching. */
  readonly replayPath?: string;
  /** Memory bound of the coverage state table, in bytes (default 128 MiB). */
  readonly coverageBytes?: number;
  /** Default true: a non-final state where no thread can step is a violation named 'deadlock'. */
  readonly checkDeadlock?: boolean;
}

export interface FuzzViolation {
  readonly property: string;
  /** The shrunk schedule as a path of the system from its initial state. */
  readonly trace: Trace;
  readonly schedule: Schedule;
  /** `seed:path`: replays this counterexample on the first run. */
  readonly replay: string;
  /** The run (1-based) that first failed, before shrinking. */
  readonly run: number;
  readonly shrinks: number;
}

export interface FuzzResult {
  readonly seed: number;
  /** Schedules run before the first violation (all of them when none was found). */
  readonly runs: number;
  /** Steps taken by those schedules. */
  readonly steps: number;
  readonly seconds: number;
  readonly violation: FuzzViolation | null;
  /** What those schedules covered (shrinking excluded). */
  readonly coverage: CoverageReport;
}

const DEFAULT_COVERAGE_BYTES = 128 * 2 ** 20;

export function fuzz(system: StepSystem, properties: readonly SafetyCheck[], options: FuzzOptions): FuzzResult {
  const start = performance.now();
  const kinds = actionKinds(system);
  const runner = new ScheduleRunner(system, properties, kinds, { maxSteps: options.maxSteps, checkDeadlock: options.checkDeadlock });
  const coverage = new Coverage(system.stateWords, kinds, options.coverageBytes ?? DEFAULT_COVERAGE_BYTES);
  const threads = system.threads.length;
  const arbitrary = scheduleArbitrary({
    kindSizes: threadKinds(system.threads).sizes,
    maxBurst: options.maxBurst ?? Math.min(options.maxSteps, 8 * threads),
    maxBursts: options.maxBursts ?? Math.max(16, Math.ceil(options.maxSteps / 16)),
  });
  // Coverage and step counts are recorded up to the first failure. While shrinking, a candidate
  // counts as failing only when it fails within the steps of the shortest failure so far: the
  // counterexample never gets longer, and a candidate that passes costs no more than that.
  let searching = true;
  let runs = 0;
  let steps = 0;
  let shortest = options.maxSteps;
  const property = fc.property(arbitrary, (schedule) => {
    const outcome = runner.run(schedule, searching ? coverage.observe : null, shortest);
    if (searching) {
      runs++;
      steps += outcome.actions.length;
    }
    if (outcome.violation === null) return true;
    searching = false;
    shortest = Math.min(shortest, outcome.actions.length);
    return false;
  });
  const replaying = options.replayPath !== undefined;
  const details = fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    ...(replaying ? { path: options.replayPath, endOnFailure: true } : {}),
  });
  let violation: FuzzViolation | null = null;
  if (details.failed && details.counterexample !== null) {
    const [schedule] = details.counterexample;
    violation = {
      ...traceOf(runner, schedule),
      schedule,
      replay: `${details.seed}:${details.counterexamplePath}`,
      run: details.numRuns,
      shrinks: details.numShrinks,
    };
  }
  return { seed: details.seed, runs, steps, seconds: (performance.now() - start) / 1000, violation, coverage: coverage.report() };
}

/**
 * Re-runs a violating schedule, keeping its states, and cuts its cycles out: wherever the path
 * comes back to a state it already visited, the steps in between are dropped (what is left is
 * still a path of the system, to the same violating state). Throws if the model itself threw.
 */
function traceOf(runner: ScheduleRunner, schedule: Schedule): { property: string; trace: Trace } {
  const states: Uint32Array[] = [];
  const outcome = runner.run(schedule, (state) => states.push(state.slice()));
  if (outcome.violation === null) throw new Error('kvmcheck fuzz: the failing schedule does not violate a property when re-run (is the model deterministic?)');
  const at = new Map<string, number>();
  const keptStates: Uint32Array[] = [];
  const keptActions: number[] = [];
  states.forEach((state, i) => {
    const key = state.join(',');
    const seen = at.get(key);
    if (seen !== undefined) {
      for (const dropped of keptStates.splice(seen + 1)) at.delete(dropped.join(','));
      keptActions.length = seen;
      return;
    }
    at.set(key, keptStates.length);
    keptStates.push(state);
    if (i > 0) keptActions.push(outcome.actions[i - 1]!);
  });
  return { property: outcome.violation, trace: { states: keptStates, actions: keptActions, loopStart: null } };
}
