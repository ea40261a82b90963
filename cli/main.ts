/**
 * The `kvmcheck` command. Exit status: 0 every verdict as expected; 1 an unexpected verdict;
 * 2 bad input (one line on stderr); 3 a bound stopped a run before it finished.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { MEMORY_MODELS, type MemoryModel } from '../checker/memory/index.ts';
import { formatTable } from '../checker/report/table.ts';
import { type Expected, expectedVerdict, SPECS, type Spec, type Variant } from '../specs/index.ts';
import { asExpected, type PropertySelection, type RunOptions, type RunResult, runVariant, runVariantParallel } from './runSpec.ts';
import { checkConsumer, formatConsumerReport, formatConsumerTable } from './masksCommand.ts';
import { addFuzzCommand } from './fuzzCommand.ts';
import { progressLine } from './progress.ts';
import { counterexampleText, ReportInputError, StateGraphCollector, writeReport } from './report.ts';
import type { Minimize } from './reportMinimize.ts';

class UsageError extends Error {}

function positiveInt(name: string) {
  return (raw: string): number => {
    if (!/^[0-9]+$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${raw}'`);
    }
    return Number(raw);
  };
}

function positiveNumber(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${raw}'`);
    return n;
  };
}

function propertySelection(raw: string): PropertySelection {
  if (raw !== 'all' && raw !== 'safety' && raw !== 'liveness') throw new InvalidArgumentError(`--properties must be all, safety or liveness, got '${raw}'`);
  return raw;
}

function memoryModelOption(raw: string): MemoryModel {
  if (!MEMORY_MODELS.includes(raw as MemoryModel)) throw new InvalidArgumentError(`--memory-model must be ${MEMORY_MODELS.join(' or ')}, got '${raw}'`);
  return raw as MemoryModel;
}

function minimizeOption(raw: string): Minimize {
  if (raw !== 'switches') throw new InvalidArgumentError(`--minimize supports only 'switches', got '${raw}'`);
  return raw;
}

function selectRuns(names: readonly string[], variant: string | undefined): { spec: Spec; variant: Variant }[] {
  const specs = names.length === 0 ? SPECS : names.map((n) => SPECS.find((s) => s.name === n) ?? fail(`unknown spec '${n}' (known: ${SPECS.map((s) => s.name).join(', ')})`));
  return specs.flatMap((spec) => {
    if (variant === undefined) return spec.variants.map((v) => ({ spec, variant: v }));
    const v = spec.variants.find((x) => x.name === variant);
    if (!v) fail(`spec '${spec.name}' has no variant '${variant}' (known: ${spec.variants.map((x) => x.name).join(', ')})`);
    return [{ spec, variant: v }];
  });
}

function fail(message: string): never {
  throw new UsageError(message);
}

const SUMMARY_HEADER = ['spec', 'variant', 'vcpus x req', 'expected', 'verdict', 'states', 'transitions', 'depth', 'seconds'];

function summaryRow(run: RunResult): string[] {
  return [
    run.spec,
    run.memoryModel === 'sc' ? run.variant : `${run.variant} (${run.memoryModel})`,
    `${run.vcpus}x${run.requesters}`,
    run.expected + (run.expectedProperty ? ` (${run.expectedProperty})` : ''),
    run.verdict + (run.property ? ` (${run.property})` : '') + (run.verdict === 'incomplete' || asExpected(run) ? '' : '  UNEXPECTED'),
    String(run.states),
    String(run.transitions),
    String(run.depth),
    run.seconds.toFixed(2),
  ];
}

function printHuman(runs: readonly RunResult[]): void {
  console.log(formatTable(SUMMARY_HEADER, runs.map(summaryRow)));
  for (const run of runs) {
    for (const w of run.warnings) console.log(`warning: ${run.spec}/${run.variant}: ${w}`);
    if (run.verdict === 'incomplete') console.log(`\n${run.spec}/${run.variant}: stopped by ${run.stoppedBy} after ${run.states} states, depth ${run.depth}: no verdict`);
    if (run.counterexample) console.log(`\n${counterexampleText(run)}`);
  }
}

export function exitStatus(runs: readonly RunResult[]): number {
  if (runs.some((r) => r.verdict !== 'incomplete' && !asExpected(r))) return 1;
  if (runs.some((r) => r.verdict === 'incomplete')) return 3;
  return 0;
}

interface CheckFlags {
  variant?: string;
  vcpus?: number;
  requesters?: number;
  maxStates?: number;
  maxSeconds?: number;
  maxMemory?: number;
  symmetry: boolean;
  properties: PropertySelection;
  interpreted?: boolean;
  json?: boolean;
  out?: string;
  graph?: boolean;
  minimize?: Minimize;
  workers: number;
  memoryModel?: MemoryModel;
}

function check(specNames: string[], flags: CheckFlags, allowAsync: boolean): number | Promise<number> {
  if (flags.graph && flags.out === undefined) fail('--graph needs --out DIR');
  if (flags.workers > 1 && !allowAsync) fail('--workers runs asynchronously: call mainAsync, not main');
  if (flags.interpreted && (flags.memoryModel ?? 'sc') !== 'sc') fail('--interpreted steps with XState itself, which is sequentially consistent: use it with --memory-model sc');
  // without --memory-model, each variant runs under the memory models it lists (default sc);
  // --interpreted (XState itself, sequentially consistent) runs them under sc only
  const runs = selectRuns(specNames, flags.variant).flatMap((r) =>
    (flags.memoryModel ? [flags.memoryModel] : flags.interpreted ? ['sc' as const] : (r.variant.memoryModels ?? ['sc'])).map((memoryModel) => ({ ...r, memoryModel })),
  );
  const graphs = flags.graph ? new StateGraphCollector(flags.symmetry) : null;
  const live = !flags.json && process.stderr.isTTY === true;
  const jobs = runs.map(({ spec, variant, memoryModel }) => {
    const defaults = variant.defaults ?? spec.defaults;
    const config = { vcpus: flags.vcpus ?? defaults.vcpus, requesters: flags.requesters ?? defaults.requesters };
    const options: RunOptions = {
      maxStates: flags.maxStates,
      maxSeconds: flags.maxSeconds,
      maxMemoryBytes: flags.maxMemory === undefined ? undefined : flags.maxMemory * 2 ** 20,
      symmetry: flags.symmetry,
      properties: flags.properties,
      interpreted: flags.interpreted,
      memoryModel,
      minimize: flags.minimize,
      onExplored: graphs?.collect,
      onProgress: live ? (p) => process.stderr.write(`\r${progressLine(`${spec.name}/${variant.name}`, p)}`) : undefined,
    };
    return { spec, variant, config, options };
  });
  const ran = (result: RunResult): RunResult => {
    if (live) process.stderr.write('\r\x1b[K');
    return result;
  };
  const report = (results: RunResult[]): number => {
    const files = flags.out === undefined ? null : writeReport(flags.out, results, { header: SUMMARY_HEADER, row: summaryRow }, graphs?.graphs ?? null);
    if (flags.json) console.log(JSON.stringify(files ? results.map((r, i) => ({ ...r, files: files[i] })) : results, null, 2));
    else printHuman(results);
    return exitStatus(results);
  };
  if (flags.workers === 1) return report(jobs.map((j) => ran(runVariant(j.spec, j.variant, j.config, j.options))));
  // --workers N: this thread and N-1 worker threads, so the runs are asynchronous (one after another)
  return (async () => {
    const results: RunResult[] = [];
    for (const j of jobs) results.push(ran(await runVariantParallel(j.spec, j.variant, j.config, { ...j.options, workers: flags.workers })));
    return report(results);
  })();
}

interface MasksFlags {
  consumer?: string;
  vcpus?: number;
  requesters?: number;
  maxSeconds?: number;
  json?: boolean;
}

function masks(specNames: string[], flags: MasksFlags): number {
  const specs = (specNames.length === 0 ? SPECS.filter((s) => s.consumers?.length) : selectRuns(specNames, undefined).map((r) => r.spec)).filter(
    (s, i, all) => all.indexOf(s) === i,
  );
  const jobs = specs.flatMap((spec) => {
    const consumers = (spec.consumers ?? []).filter((c) => flags.consumer === undefined || c.name === flags.consumer);
    if (specNames.length > 0 && consumers.length === 0) {
      fail(`spec '${spec.name}' has no request consumer${flags.consumer ? ` '${flags.consumer}'` : ''} (known: ${(spec.consumers ?? []).map((c) => c.name).join(', ') || 'none'})`);
    }
    return consumers.map((consumer) => ({ spec, consumer }));
  });
  if (jobs.length === 0) fail(`no spec has a request consumer named '${flags.consumer}'`);
  const reports = jobs.map(({ spec, consumer }) =>
    checkConsumer(spec, consumer, { vcpus: flags.vcpus ?? spec.defaults.vcpus, requesters: flags.requesters ?? spec.defaults.requesters }, flags.maxSeconds),
  );
  if (flags.json) console.log(JSON.stringify(reports, null, 2));
  else {
    for (const r of reports) console.log(`${formatConsumerReport(r)}\n`);
    console.log(formatConsumerTable(reports));
  }
  return reports.some((r) => r.masks.some((m) => m.safe === null)) ? 3 : 0;
}

function list(json: boolean | undefined): number {
  if (json) {
    console.log(
      JSON.stringify(
        SPECS.map((s) => ({
          spec: s.name,
          seed: s.seed,
          description: s.description,
          defaults: s.defaults,
          variants: s.variants.map((v) => ({
            name: v.name,
            description: v.description,
            expected: v.expected,
            memoryModels: v.memoryModels ?? ['sc'],
            ...(v.expectedUnder ? { expectedUnder: v.expectedUnder } : {}),
          })),
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  for (const s of SPECS) {
    console.log(`${s.name}  (seeds/${s.seed}; default ${s.defaults.vcpus} vCPUs x ${s.defaults.requesters} requesters)\n  ${s.description}`);
    for (const v of s.variants) {
      const verdict = (e: Expected): string => (e.verdict === 'violated' ? `violated: ${e.property}` : 'holds');
      const models = (v.memoryModels ?? ['sc']).filter((m) => m !== 'sc');
      const weak = models.map((m) => `; ${m}: ${verdict(expectedVerdict(v, m))}`).join('');
      console.log(`    ${v.name.padEnd(20)} [${verdict(v.expected)}${weak}] ${v.description}`);
    }
  }
  return 0;
}

/** The command; `allowAsync` lets `check --workers N` hand `setExit` a promise of the status. */
export function buildProgram(setExit: (code: number | Promise<number>) => void, allowAsync = false): Command {
  const program = new Command('kvmcheck')
    .description('Model checker for the Linux KVM vCPU request protocol')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('list')
    .description('list the specs, their variants and default configurations')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => setExit(list(opts.json)));
  program
    .command('check')
    .description('explore every state of the given specs (all when none is given)')
    .argument('[spec...]', 'spec names (see `kvmcheck list`)')
    .option('--variant <name>', 'only this variant')
    .option('--vcpus <n>', 'number of vCPUs', positiveInt('--vcpus'))
    .option('--requesters <n>', 'number of requesters', positiveInt('--requesters'))
    .option('--max-states <n>', 'stop after this many distinct states (exit 3)', positiveInt('--max-states'))
    .option('--max-seconds <s>', 'stop after this many seconds (exit 3)', positiveNumber('--max-seconds'))
    .option('--max-memory <MiB>', 'stop when the state tables need more memory (exit 3)', positiveNumber('--max-memory'))
    .option('--no-symmetry', 'turn symmetry reduction off')
    .option('--properties <which>', 'all, safety or liveness', propertySelection, 'all')
    .option('--interpreted', "step the machine with XState's own transition() (slow reference path)")
    .option('--json', 'print one JSON array, an object per run')
    .option('--out <dir>', 'write each counterexample as .txt, .itf.json, .dot, .svg and .html, and index.html, into DIR')
    .option('--graph', 'with --out: also the whole reachable state graph of each run as .graph.dot and .graph.json (small configurations)')
    .option('--minimize <what>', "'switches': of the shortest counterexamples, one with the fewest thread switches", minimizeOption)
    .option('--workers <n>', 'explore with N threads (this one and N-1 worker threads) over a shared state table (the fair-cycle searches of liveness properties run on this one)', positiveInt('--workers'), 1)
    .option('--memory-model <model>', "sc, tso (store buffers; safety only) or arm64-like (tso, and set_bit and a failed cmpxchg order nothing); default: each variant's own (sc unless it lists more)", memoryModelOption)
    .action((specs: string[], opts: CheckFlags) => setExit(check(specs, opts, allowAsync)));
  program
    .command('masks')
    .description('find the per-mode kick/wait masks each request consumer needs (every mask checked exhaustively)')
    .argument('[spec...]', 'specs with request consumers (all when none is given)')
    .option('--consumer <name>', 'only this consumer')
    .option('--vcpus <n>', 'number of vCPUs', positiveInt('--vcpus'))
    .option('--requesters <n>', 'number of requesters', positiveInt('--requesters'))
    .option('--max-seconds <s>', 'bound per mask run', positiveNumber('--max-seconds'))
    .option('--json', 'print JSON')
    .action((specs: string[], opts: MasksFlags) => setExit(masks(specs, opts)));
  addFuzzCommand(program, setExit);
  return program;
}

/** The exit status of a command that runs synchronously: every command but `check --workers N` (see mainAsync). */
export function main(argv: readonly string[]): number {
  return dispatch(argv, false) as number;
}

/** The exit status of any command (the CLI entry, cli/bin.ts). */
export async function mainAsync(argv: readonly string[]): Promise<number> {
  return dispatch(argv, true);
}

function dispatch(argv: readonly string[], allowAsync: boolean): number | Promise<number> {
  let code = 0 as number | Promise<number>;
  const program = buildProgram((c) => {
    code = c;
  }, allowAsync);
  try {
    program.parse(argv as string[], { from: 'user' });
    return typeof code === 'number' ? code : code.catch(usageFailure);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return usageFailure(e);
  }
}

/** Bad input: one line on stderr and exit 2; anything else is rethrown. */
function usageFailure(e: unknown): number {
  if (e instanceof UsageError || e instanceof ReportInputError) {
    process.stderr.write(`kvmcheck: ${e.message}\n`);
    return 2;
  }
  throw e;
}
