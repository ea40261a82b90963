/**
 * `kvmcheck fuzz SPEC`: random schedules (checker/fuzz) over configurations too big to explore,
 * on the step-at-a-time compiled path (checker/xstate/stepMachine.ts), checking the variant's
 * safety properties on every state. A violation comes shrunk, with the command that replays it.
 *
 * Exit status: 1 when a violation is found — whatever the variant expects, so that `fuzz` fails
 * like a test that found a bug — and 0 when none is; the output says whether that matches the
 * variant's expectation. A fuzzer never proves that a property holds: "no violation found in K
 * runs x S steps" is all it can say. 2: bad input (one line on stderr).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type CoverageReport, fuzz, incrementalChecks } from '../checker/fuzz/index.ts';
import { activeThreads, type Counterexample, toCounterexample } from '../checker/report/counterexample.ts';
import { formatCounterexample } from '../checker/report/text.ts';
import { compileStepSystem } from '../checker/xstate/stepMachine.ts';
import type { ViewProperty } from '../checker/xstate/index.ts';
import { SPECS, type Spec, type SpecConfig, type Variant } from '../specs/index.ts';

/** Budget defaults, sized for 64 vCPUs: there, rfc-1-6's missed wait was found within 343 runs for each of the 13 seeds tried (README). */
export const FUZZ_DEFAULTS = { vcpus: 64, runs: 1000, steps: 1000 } as const;

export interface FuzzRunOptions {
  readonly runs: number;
  readonly steps: number;
  readonly seed: number;
  /** The counterexample path of `seed` to replay (from a printed `--replay SEED:PATH`). */
  readonly replayPath?: string;
}

/** One fuzzed variant, as `kvmcheck fuzz --json` prints it. */
export interface FuzzRun {
  readonly spec: string;
  readonly variant: string;
  readonly vcpus: number;
  readonly requesters: number;
  /** What exploration must find for the safety properties (a variant expected to break a liveness property must keep them). */
  readonly expected: 'holds' | 'violated';
  readonly expectedProperty: string | null;
  readonly verdict: 'violated' | 'no-violation';
  readonly property: string | null;
  /** The verdict is the one the variant expects (a violation of the expected property, or none). */
  readonly asExpected: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly stepsPerRun: number;
  /** Schedules run before the violation (or all of them) and their steps. */
  readonly runsDone: number;
  readonly steps: number;
  readonly seconds: number;
  /** The shrunk counterexample. */
  readonly counterexample: Counterexample | null;
  /** The threads that take a step in it. */
  readonly threads: readonly string[];
  readonly replay: string | null;
  readonly replayCommand: string | null;
  readonly coverage: CoverageReport;
  /** Liveness properties of the variant, which fuzzing does not check. */
  readonly unchecked: readonly string[];
}

type SafetyProperty = Extract<ViewProperty, { kind: 'always' }>;

export function fuzzVariant(spec: Spec, variant: Variant, config: SpecConfig, options: FuzzRunOptions): FuzzRun {
  const instance = variant.build(config);
  const safety = instance.properties.filter((p): p is SafetyProperty => p.kind === 'always');
  const system = compileStepSystem(instance.machine);
  const result = fuzz(
    system,
    incrementalChecks(system, safety),
    { runs: options.runs, maxSteps: options.steps, seed: options.seed, replayPath: options.replayPath },
  );
  const expected = variant.expected;
  const expectedProperty = expected.verdict === 'violated' && safety.some((p) => p.name === expected.property) ? expected.property : null;
  const violation = result.violation;
  const counterexample = violation === null ? null : toCounterexample(system, violation.trace);
  const replayCommand =
    violation === null
      ? null
      : `kvmcheck fuzz ${spec.name} --variant ${variant.name} --vcpus ${config.vcpus} --requesters ${config.requesters} --steps ${options.steps} --replay ${violation.replay}`;
  return {
    spec: spec.name,
    variant: variant.name,
    vcpus: config.vcpus,
    requesters: config.requesters,
    expected: expectedProperty === null ? 'holds' : 'violated',
    expectedProperty,
    verdict: violation === null ? 'no-violation' : 'violated',
    property: violation?.property ?? null,
    asExpected: (violation?.property ?? null) === expectedProperty,
    seed: result.seed,
    runs: options.runs,
    stepsPerRun: options.steps,
    runsDone: result.runs,
    steps: result.steps,
    seconds: result.seconds,
    counterexample,
    threads: counterexample === null ? [] : activeThreads(counterexample),
    replay: violation?.replay ?? null,
    replayCommand,
    coverage: result.coverage,
    unchecked: instance.properties.filter((p) => p.kind !== 'always').map((p) => p.name).filter((n, i, all) => all.indexOf(n) === i),
  };
}

const count = (n: number): string => n.toLocaleString('en-US');

function formatCoverage(run: FuzzRun): string {
  const c = run.coverage;
  const cap = c.capped ? ` (the state table is capped at ${c.capBytes / 2 ** 20} MiB: more states were reached)` : '';
  const lines = [`coverage: ${count(c.states)} distinct states${cap} in ${count(run.runsDone)} run${run.runsDone === 1 ? '' : 's'}, ${count(run.steps)} steps`];
  for (const [kind, never] of Object.entries(c.neverTaken)) {
    const total = c.actionKinds[kind] ?? 0;
    lines.push(`  ${kind}: ${total} action kinds, ${never.length === 0 ? 'every one taken' : `never taken: ${never.join(', ')}`}`);
  }
  return lines.join('\n');
}

export function formatFuzzRun(run: FuzzRun): string {
  const out: string[] = [];
  out.push(
    `fuzz ${run.spec}/${run.variant}, ${run.vcpus} vCPUs x ${run.requesters} requester${run.requesters === 1 ? '' : 's'}, seed ${run.seed}: up to ${count(run.runs)} runs x ${count(run.stepsPerRun)} steps`,
  );
  if (run.unchecked.length > 0) out.push(`(not checked by fuzz: liveness properties ${run.unchecked.join(', ')})`);
  const expected = run.expectedProperty === null ? 'no violation of its safety properties' : `a violation of ${run.expectedProperty}`;
  const cex = run.counterexample;
  if (cex === null) {
    out.push(`no violation found in ${count(run.runsDone)} runs x ${count(run.stepsPerRun)} steps (${count(run.steps)} steps, ${run.seconds.toFixed(1)} s)`);
    out.push(
      run.asExpected
        ? `expected ${expected}: as expected (fuzzing proves nothing; \`kvmcheck check\` does, on small configurations)`
        : `expected ${expected}: NOT found within the budget (more --runs or --steps, or \`kvmcheck check\` on a small configuration)`,
    );
  } else {
    out.push(
      `${run.property} violated in run ${count(run.runsDone)} (${count(run.steps)} steps, ${run.seconds.toFixed(1)} s); shrunk to ${cex.steps.length} steps by ${run.threads.length} thread${run.threads.length === 1 ? '' : 's'} (${run.threads.join(', ')}):`,
    );
    // a lane column for vcpu->mode of each thread that takes part (all 64 would not fit)
    const columns = run.threads.map((t) => `mode[${t}]`);
    out.push(formatCounterexample(cex, { columns }));
    out.push(`replay: ${run.replayCommand}`);
    out.push(`expected ${expected}: ${run.asExpected ? 'as expected' : 'UNEXPECTED'}`);
  }
  out.push(formatCoverage(run));
  return out.join('\n');
}

/** Bad input found after option parsing. */
class FuzzInputError extends Error {}

function integer(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^-?[0-9]+$/.test(raw.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got '${raw}'`);
    return n;
  };
}

function replayOption(raw: string): { seed: number; path: string } {
  const m = /^(-?[0-9]+):([0-9]+(?::[0-9]+)*)$/.exec(raw.trim());
  if (!m || Math.abs(Number(m[1])) > 2 ** 31) throw new InvalidArgumentError(`--replay must be SEED:PATH as printed by a violation (e.g. 1:42:3:0), got '${raw}'`);
  return { seed: Number(m[1]), path: m[2]! };
}

interface FuzzFlags {
  variant?: string;
  vcpus: number;
  requesters?: number;
  runs: number;
  steps: number;
  seed?: number;
  replay?: { seed: number; path: string };
  json?: boolean;
}

function fuzzCommand(specName: string, flags: FuzzFlags): number {
  const spec = SPECS.find((s) => s.name === specName);
  if (!spec) throw new FuzzInputError(`unknown spec '${specName}' (known: ${SPECS.map((s) => s.name).join(', ')})`);
  const variants = flags.variant === undefined ? spec.variants : spec.variants.filter((v) => v.name === flags.variant);
  if (variants.length === 0) throw new FuzzInputError(`spec '${spec.name}' has no variant '${flags.variant}' (known: ${spec.variants.map((v) => v.name).join(', ')})`);
  if (flags.replay && flags.variant === undefined) throw new FuzzInputError('--replay needs --variant (the replay belongs to one variant)');
  if (flags.replay && flags.seed !== undefined && flags.seed !== flags.replay.seed) throw new FuzzInputError('--seed and --replay name different seeds');
  const seed = flags.replay?.seed ?? flags.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const runs = variants.map((variant) => {
    const config = { vcpus: flags.vcpus, requesters: flags.requesters ?? (variant.defaults ?? spec.defaults).requesters };
    return fuzzVariant(spec, variant, config, { runs: flags.runs, steps: flags.steps, seed, replayPath: flags.replay?.path });
  });
  if (flags.json) console.log(JSON.stringify(runs, null, 2));
  else console.log(runs.map(formatFuzzRun).join('\n\n'));
  return runs.some((r) => r.verdict === 'violated') ? 1 : 0;
}

/** Adds `fuzz` to the program; `setExit` receives the exit status. */
export function addFuzzCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('fuzz')
    .description('random schedules over a big configuration, checking the safety properties on every state (finds bugs; proves nothing)')
    .argument('<spec>', 'spec name (see `kvmcheck list`)')
    .option('--variant <name>', 'only this variant (default: every variant)')
    .option('--vcpus <n>', 'number of vCPUs', integer('--vcpus', 1, 4096), FUZZ_DEFAULTS.vcpus)
    .option('--requesters <n>', 'number of requesters (default: the variant\'s)', integer('--requesters', 1, 64))
    .option('--runs <k>', 'schedules to try', integer('--runs', 1, 2 ** 31 - 1), FUZZ_DEFAULTS.runs)
    .option('--steps <s>', 'steps per schedule at most', integer('--steps', 1, 2 ** 31 - 1), FUZZ_DEFAULTS.steps)
    .option('--seed <x>', 'fast-check seed (default: random, printed)', integer('--seed', -(2 ** 31), 2 ** 31 - 1))
    .option('--replay <seed:path>', 'replay the counterexample a violation printed (needs the same --variant, --vcpus, --requesters, --steps)', replayOption)
    .option('--json', 'print one JSON array, an object per variant')
    .action((specName: string, flags: FuzzFlags) => {
      try {
        setExit(fuzzCommand(specName, flags));
      } catch (e) {
        if (!(e instanceof FuzzInputError)) throw e;
        process.stderr.write(`kvmcheck: ${e.message}\n`);
        setExit(2);
      }
    });
}
