/**
 * Fuzzing throughput: schedule steps per second of `kvmcheck fuzz guest-mode --variant kernel` at
 * 8, 64 and 256 vCPUs (2 requesters), the median of a few repetitions of a fixed budget with a
 * fixed seed. "With properties" is what `fuzz` does (every safety property of the spec checked on
 * every state, incrementally: checker/fuzz/incrementalChecks.ts; coverage recorded); "model only"
 * checks no property, to show where the time goes.
 * `npx tsx bench/fuzz.ts` prints the table (`--json`: the rows; `--quick`: one repetition).
 */
import { fileURLToPath } from 'node:url';
import { fuzz, incrementalChecks } from '../checker/fuzz/index.ts';
import { formatTable } from '../checker/report/table.ts';
import type { ViewProperty } from '../checker/xstate/index.ts';
import { compileStepSystem } from '../checker/xstate/stepMachine.ts';
import { guestMode } from '../specs/guest-mode.ts';
import { median } from './median.ts';

export interface FuzzBenchRow {
  readonly vcpus: number;
  readonly requesters: number;
  /** Runs x steps per run of each repetition (a run may end early: its steps are what count). */
  readonly runs: number;
  readonly stepsPerRun: number;
  readonly repetitions: number;
  /** Steps taken in one repetition (the same in every one: fixed seed). */
  readonly steps: number;
  /** Median schedule steps per second with the spec's safety properties checked on every state. */
  readonly stepsPerSecond: number;
  /** Median schedule steps per second with no property checked. */
  readonly modelStepsPerSecond: number;
}

export interface FuzzBenchOptions {
  readonly vcpus?: readonly number[];
  readonly requesters?: number;
  readonly runs?: number;
  readonly stepsPerRun?: number;
  readonly repetitions?: number;
}

/** Measures the throughput rows (the figures of this run on this machine). */
export function benchFuzz(options: FuzzBenchOptions = {}): FuzzBenchRow[] {
  const kernel = guestMode.variants.find((v) => v.name === 'kernel')!;
  const requesters = options.requesters ?? 2;
  const runs = options.runs ?? 100;
  const stepsPerRun = options.stepsPerRun ?? 1000;
  const repetitions = options.repetitions ?? 3;
  return (options.vcpus ?? [8, 64, 256]).map((vcpus) => {
    const instance = kernel.build({ vcpus, requesters });
    const safety = instance.properties.filter((p): p is Extract<ViewProperty, { kind: 'always' }> => p.kind === 'always');
    // one system per column: the property checks watch the states their system loads
    const rate = (checked: boolean): { steps: number; perSecond: number } => {
      const system = compileStepSystem(instance.machine);
      const properties = checked ? incrementalChecks(system, safety) : [];
      const rates: number[] = [];
      let steps = 0;
      for (let i = 0; i < repetitions; i++) {
        const r = fuzz(system, properties, { runs, maxSteps: stepsPerRun, seed: 1 });
        if (r.violation !== null) throw new Error(`bench: guest-mode/kernel violated ${r.violation.property} at ${vcpus} vCPUs`);
        steps = r.steps;
        rates.push(r.steps / r.seconds);
      }
      return { steps, perSecond: median(rates) };
    };
    const withProperties = rate(true);
    const modelOnly = rate(false);
    return { vcpus, requesters, runs, stepsPerRun, repetitions, steps: withProperties.steps, stepsPerSecond: withProperties.perSecond, modelStepsPerSecond: modelOnly.perSecond };
  });
}

export function formatFuzzBench(rows: readonly FuzzBenchRow[]): string {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  return formatTable(
    ['vcpus x req', 'budget', 'steps', 'steps/s (with properties)', 'steps/s (model only)', 'reps'],
    rows.map((r) => [`${r.vcpus}x${r.requesters}`, `${r.runs} runs x ${r.stepsPerRun}`, fmt(r.steps), fmt(r.stepsPerSecond), fmt(r.modelStepsPerSecond), String(r.repetitions)]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = benchFuzz(process.argv.includes('--quick') ? { repetitions: 1 } : {});
  console.log(process.argv.includes('--json') ? JSON.stringify(rows, null, 2) : formatFuzzBench(rows));
}
