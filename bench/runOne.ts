/**
 * Runs one exploration in this process and prints its figures as JSON (bench/main.ts runs each
 * configuration in a child process of its own, so peak memory is per run).
 */
import { type RunOptions, type RunResult, runVariant, runVariantParallel } from '../cli/runSpec.ts';
import { SPECS, type Spec, type Variant } from '../specs/index.ts';

export interface RunOneArgs {
  readonly spec: string;
  readonly variant: string;
  readonly vcpus: number;
  readonly requesters: number;
  readonly options: RunOptions;
  /** Threads that explore (default 1: the sequential engine; more: exploreParallel, the calling thread and workers - 1 worker threads). */
  readonly workers?: number;
}

export interface RunOneResult {
  readonly verdict: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  /** User CPU seconds of the whole process (every thread) during the run. */
  readonly userSeconds: number;
  readonly stoppedBy: string | null;
  readonly peakRssMB: number;
  readonly workers: number;
}

function lookUp(args: RunOneArgs): { spec: Spec; variant: Variant } {
  const spec = SPECS.find((s) => s.name === args.spec);
  const variant = spec?.variants.find((v) => v.name === args.variant);
  if (!spec || !variant) throw new Error(`unknown spec/variant ${args.spec}/${args.variant}`);
  return { spec, variant };
}

function figures(r: RunResult, cpuBefore: NodeJS.CpuUsage): RunOneResult {
  return {
    verdict: r.verdict,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds: r.seconds,
    userSeconds: process.cpuUsage(cpuBefore).user / 1e6,
    stoppedBy: r.stoppedBy,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    workers: r.workers,
  };
}

/** One sequential run in this process. */
export function runOne(args: RunOneArgs): RunOneResult {
  const { spec, variant } = lookUp(args);
  const cpu = process.cpuUsage();
  return figures(runVariant(spec, variant, { vcpus: args.vcpus, requesters: args.requesters }, args.options), cpu);
}

/** One run with `args.workers` threads (more than 1: exploreParallel), or sequential. */
export async function runOneWorkers(args: RunOneArgs): Promise<RunOneResult> {
  const workers = args.workers ?? 1;
  if (workers <= 1) return runOne(args);
  const { spec, variant } = lookUp(args);
  const cpu = process.cpuUsage();
  return figures(await runVariantParallel(spec, variant, { vcpus: args.vcpus, requesters: args.requesters }, { ...args.options, workers }), cpu);
}

if (process.argv[1]?.endsWith('runOne.ts')) {
  console.log(JSON.stringify(await runOneWorkers(JSON.parse(process.argv[2]!) as RunOneArgs)));
}
