/**
 * `npm run bench`: kvmcheck's figures on guest-mode, measured in this run on this machine.
 *   0. the machine: random-read latency over a table as large as a big visited set (a lookup of
 *      a big run that misses the caches pays the dependent figure; read the exploration figures
 *      against it);
 *   1. the compiled path against XState's own transition() on the small configuration, in one
 *      process, alternating runs; medians and their ratio;
 *   2. safety exploration at (vCPUs, requesters) = (2,2), (3,2), (4,2), symmetry on and off, 1 and
 *      2 threads (with --quick: 2 with symmetry on only), each run in a child
 *      process of its own (peak RSS and user CPU per run) with a time bound.
 *   3. Spin and Rumur on the same protocol (bench/external/: the guest-mode model in Promela and
 *      Murphi), side by side with kvmcheck, when they are installed (`apt-get install spin rumur`);
 *   4. hv-vpindex: comparisons per hypercall of each VP-index lookup structure (seeds/002);
 *   5. state-space growth from sc to tso (store buffers) for guest-mode;
 *   6. fuzzing throughput: schedule steps per second at 8, 64 and 256 vCPUs;
 *   7. liveness (all of guest-mode's properties) with and without symmetry reduction, with 1 and 2 threads.
 * Flags: --json, --quick (shorter bounds, fewer repetitions), --max-seconds S (bound per run),
 * --no-external (skip Spin and Rumur).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../checker/report/table.ts';
import type { RunOptions } from '../cli/runSpec.ts';
import { formatExternalRows, runExternalCheckers } from './external.ts';
import { benchFuzz, formatFuzzBench } from './fuzz.ts';
import { benchHvVpindex, formatHvVpindexBench } from './hv-vpindex.ts';
import { livenessRows } from './liveness.ts';
import { memoryModelRows } from './memoryModel.ts';
import { runOne, type RunOneArgs, type RunOneResult } from './runOne.ts';
import { median } from './median.ts';
import type { MemoryLatency, MemoryLatencyArgs } from './memoryLatency.ts';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const quick = argv.includes('--quick');
const boundIndex = argv.indexOf('--max-seconds');
const maxSeconds = boundIndex >= 0 ? Number(argv[boundIndex + 1]) : quick ? 60 : 300;
const reps = quick ? 1 : 3;

const perSecond = (r: RunOneResult): number => r.states / Math.max(r.seconds, 1e-9);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const log = (s: string): void => {
  if (!json) console.log(s);
};

function compiledVsInterpreted() {
  const base = { spec: 'guest-mode', variant: 'kernel', vcpus: 2, requesters: 1 };
  const opts: RunOptions = { properties: 'safety', symmetry: true };
  const compiled: RunOneResult[] = [];
  const interpreted: RunOneResult[] = [];
  for (let i = 0; i < reps; i++) {
    compiled.push(runOne({ ...base, options: opts }));
    interpreted.push(runOne({ ...base, options: { ...opts, interpreted: true } }));
  }
  const c = median(compiled.map(perSecond));
  const x = median(interpreted.map(perSecond));
  return {
    config: '2x1, safety, symmetry',
    states: compiled[0]!.states,
    compiledStatesPerSecond: c,
    interpretedStatesPerSecond: x,
    compiledSeconds: median(compiled.map((r) => r.seconds)),
    interpretedSeconds: median(interpreted.map((r) => r.seconds)),
    ratio: c / x,
    repetitions: reps,
  };
}

/**
 * Runs bench module `module` in a child process with `args` (JSON) and parses the JSON line it
 * prints last. A child of its own per measurement: peak RSS is per run (a child starts with the
 * peak its parent had when it was forked, so the parent keeps nothing big).
 */
function inChild<A, R>(module: string, args: A): R {
  const script = fileURLToPath(new URL(module, import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child run failed: ${r.stderr.split('\n')[0]}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as R;
}

const childRun = (args: RunOneArgs): RunOneResult => inChild('./runOne.ts', args);

/** Worker counts run at each configuration: 1 and 2, except with symmetry off under --quick (1 only). */
const workerCounts = (symmetry: boolean): number[] => (symmetry || !quick ? [1, 2] : [1]);

function scaling() {
  const rows: (RunOneResult & { vcpus: number; requesters: number; symmetry: boolean })[] = [];
  for (const [vcpus, requesters] of [
    [2, 2],
    [3, 2],
    [4, 2],
  ] as const) {
    for (const symmetry of [true, false]) {
      for (const workers of workerCounts(symmetry)) {
        const options: RunOptions = { properties: 'safety', symmetry, maxSeconds };
        const r = childRun({ spec: 'guest-mode', variant: 'kernel', vcpus, requesters, options, workers });
        rows.push({ ...r, vcpus, requesters, symmetry });
        log(`  ${vcpus}x${requesters} symmetry ${symmetry ? 'on ' : 'off'} ${workers} worker(s): ${fmt(r.states)} states, ${r.seconds.toFixed(1)} s ${r.verdict}`);
      }
    }
  }
  return rows;
}

log('kvmcheck bench: guest-mode, variant kernel, safety properties\n');
log('0. this machine: random reads from a 512 MB table (the visited set of a big run is larger), ns per read, medians');
const machine = inChild<MemoryLatencyArgs, MemoryLatency>('./memoryLatency.ts', { megabytes: 512, reads: quick ? 1 << 20 : 1 << 22, repetitions: reps });
log(
  formatTable(
    ['dependent (each address from the last read)', 'independent (misses overlap)'],
    [[machine.dependentNs.toFixed(1), machine.independentNs.toFixed(1)]],
  ),
);
log('');
log('1. compiled path vs XState transition() (same process, alternating runs)');
const cvx = compiledVsInterpreted();
log(
  formatTable(
    ['configuration', 'states', 'compiled states/s', 'XState states/s', 'ratio', 'reps'],
    [[cvx.config, fmt(cvx.states), fmt(cvx.compiledStatesPerSecond), fmt(cvx.interpretedStatesPerSecond), `${cvx.ratio.toFixed(1)}x`, String(cvx.repetitions)]],
  ),
);
log(`\n2. exhaustive safety exploration (one child process per run, bound ${maxSeconds} s)`);
const scale = scaling();
log(
  formatTable(
    ['vcpus x req', 'symmetry', 'workers', 'verdict', 'states', 'transitions', 'seconds', 'user CPU s', 'states/s', 'peak RSS MB'],
    scale.map((r) => [
      `${r.vcpus}x${r.requesters}`,
      r.symmetry ? 'on' : 'off',
      String(r.workers),
      r.verdict + (r.stoppedBy ? ` (${r.stoppedBy})` : ''),
      fmt(r.states),
      fmt(r.transitions),
      r.seconds.toFixed(2),
      r.userSeconds.toFixed(2),
      fmt(perSecond(r)),
      String(r.peakRssMB),
    ]),
  ),
);
let external: Awaited<ReturnType<typeof runExternalCheckers>> = [];
if (!argv.includes('--no-external')) {
  log(`\n3. Spin and Rumur on the same guest-mode protocol (kernel variant; bound ${maxSeconds} s per run)`);
  external = await runExternalCheckers(
    [
      { vcpus: 2, requesters: 2 },
      { vcpus: 3, requesters: 2 },
    ],
    { maxSeconds },
  );
  log(formatExternalRows(external));
}
log('\n4. hv-vpindex: comparisons per hypercall, 128 vCPUs, a full set');
const hv = benchHvVpindex(128);
log(formatHvVpindexBench(hv));
log(`\n5. memory models: guest-mode kernel, safety, sc vs tso (growth without symmetry; bound ${maxSeconds} s per run)`);
const mm = memoryModelRows(maxSeconds, childRun);
log(
  formatTable(
    ['vcpus x req', 'sc states (symmetry)', 'sc states', 'tso states', 'tso states (symmetry)', 'growth', 'sc s', 'tso s', 'tso s (symmetry)'],
    mm.map((r) => [
      r.config,
      fmt(r.scSymmetryStates),
      fmt(r.scStates),
      fmt(r.tsoStates),
      fmt(r.tsoSymmetryStates),
      r.complete ? `${r.growth.toFixed(1)}x` : 'bound hit',
      r.scSeconds.toFixed(1),
      r.tsoSeconds.toFixed(1),
      r.tsoSymmetrySeconds.toFixed(1),
    ]),
  ),
);
log('\n6. fuzzing throughput (guest-mode kernel, safety properties checked on every state)');
const fz = benchFuzz();
log(formatFuzzBench(fz));
log(`\n7. liveness under weak fairness: guest-mode kernel, all properties (safety, wait-returns, request-consumed), sc (bound ${maxSeconds} s per run)`);
const live = livenessRows(maxSeconds, childRun);
log(
  formatTable(
    ['vcpus x req', 'symmetry', 'workers', 'verdict', 'states', 'transitions', 'seconds', 'peak RSS MB'],
    live.map((r) => [r.config, r.symmetry ? 'on' : 'off', String(r.workers), r.verdict + (r.stoppedBy ? ` (${r.stoppedBy})` : ''), fmt(r.states), fmt(r.transitions), r.seconds.toFixed(2), String(r.peakRssMB)]),
  ),
);
if (json) console.log(JSON.stringify({ machine, compiledVsInterpreted: cvx, scaling: scale, external, hvVpindex: hv, memoryModels: mm, fuzz: fz, liveness: live }, null, 2));
