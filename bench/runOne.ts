/**
 * Runs one exploration in this process and prints its figures as JSON (bench/main.ts runs each
 * configuration in a child process of its own, so peak memory is per run).
 */
import { runVariant, type RunOptions } from '../cli/runSpec.ts';
import { SPECS } from '../specs/index.ts';

export interface RunOneArgs {
  readonly spec: string;
  readonly variant: string;
  readonly vcpus: number;
  readonly requesters: number;
  readonly options: RunOptions;
}

export interface RunOneResult {
  readonly verdict: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly stoppedBy: string | null;
  readonly peakRssMB: number;
}

export function runOne(args: RunOneArgs): RunOneResult {
  const spec = SPECS.find((s) => s.name === args.spec);
  const variant = spec?.variants.find((v) => v.name === args.variant);
  if (!spec || !variant) throw new Error(`unknown spec/variant ${args.spec}/${args.variant}`);
  const r = runVariant(spec, variant, { vcpus: args.vcpus, requesters: args.requesters }, args.options);
  return {
    verdict: r.verdict,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds: r.seconds,
    stoppedBy: r.stoppedBy,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (process.argv[1]?.endsWith('runOne.ts')) {
  console.log(JSON.stringify(runOne(JSON.parse(process.argv[2]!) as RunOneArgs)));
}
