/**
 * Spin on bench/external/guest_mode.pml: `spin -a` with the configuration as -D defines, pan
 * compiled with -DNOREDUCE (no partial-order reduction: every interleaving, so distinct states are
 * comparable with kvmcheck --no-symmetry) and -DSAFETY (the properties are assertions), run
 * exhaustively in a temporary directory.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, commandWorks, measure } from './measure.ts';
import { emptyRow, type ExternalConfig, type ExternalOptions, type ExternalRow } from './row.ts';
import { encodingParameters } from './variants.ts';

const SPIN_INSTALL = 'apt-get update && apt-get install -y spin gcc';
const MODEL = fileURLToPath(new URL('./guest_mode.pml', import.meta.url));
/** pan's DFS depth bound; deeper is reported as incomplete ("max search depth too small"). */
const MAX_DEPTH = 1_000_000;

export function spinInstalled(): boolean {
  return commandWorks('spin', ['-V']) && commandWorks('gcc', ['--version']);
}

/**
 * pan's hash table does not grow (-w bits, 8 bytes a slot; collisions are chained, so a small
 * table is slower, never wrong). A heuristic: 2^24 slots (pan's default) up to 4 threads, 4x more
 * per further thread, at most 2^29.
 */
function defaultHashBits(config: ExternalConfig): number {
  return Math.min(29, 24 + 2 * Math.max(0, config.vcpus + config.requesters - 4));
}

function spinDefines(config: ExternalConfig): string[] {
  const p = encodingParameters(config.variant ?? 'kernel');
  return [
    `-DNVCPUS=${config.vcpus}`,
    `-DNREQ=${config.requesters}`,
    `-DWAIT_IPI=${p.waitIpi}`,
    `-DWAIT_WAIT=${p.waitWait}`,
    `-DHANDLED=${p.handled}`,
    ...(p.beforeModeStore ? ['-DBEFORE_MODE_STORE'] : []),
  ];
}

export async function runSpin(config: ExternalConfig, options: ExternalOptions = {}): Promise<ExternalRow> {
  const base = { checker: 'spin', variant: config.variant ?? 'kernel', vcpus: config.vcpus, requesters: config.requesters, symmetry: 'off' } as const;
  if (!spinInstalled()) return emptyRow(base, 'not installed', `spin or gcc not installed: ${SPIN_INSTALL}`);
  const maxMemoryMB = options.maxMemoryMB ?? 8192;
  const hashBits = options.spinHashBits ?? defaultHashBits(config);
  const dir = mkdtempSync(join(tmpdir(), 'kvmcheck-spin-'));
  try {
    copyFileSync(MODEL, join(dir, 'guest_mode.pml')); // pan writes its trail next to the model
    const defines = spinDefines(config);
    let buildSeconds = build('spin', [...defines, '-a', 'guest_mode.pml'], dir);
    widenCounts(join(dir, 'pan.c'));
    const cflags = [options.fastBuild ? '-O0' : '-O2', '-DNOREDUCE', '-DSAFETY', '-DPRINTF', `-DMEMLIM=${maxMemoryMB}`];
    buildSeconds += build('gcc', [...cflags, '-o', 'pan', 'pan.c'], dir);
    const run = await measure('./pan', [`-m${MAX_DEPTH}`, `-w${hashBits}`], { cwd: dir, timeoutSeconds: options.maxSeconds ?? 300 });
    const out = run.stdout;
    const states = numberAfter(out, /([\d.e+]+) states, stored/);
    const taken = numberAfter(out, /([\d.e+]+) transitions \(= stored\+matched\)/);
    // the monitor's printf names the property; pan's invalid end state is kvmcheck's deadlock
    const property = /violated: ([\w-]+)/.exec(out)?.[1] ?? (/^pan:\d+: invalid end state/m.test(out) ? 'deadlock' : null);
    const errors = numberAfter(out, /errors: (\d+)/);
    const bound = run.timedOut
      ? `time bound ${options.maxSeconds ?? 300} s`
      : /max search depth too small/.test(out)
        ? `depth bound -m${MAX_DEPTH}`
        : /-DMEMLIM bound|out of memory/.test(out)
          ? `memory bound ${maxMemoryMB} MiB`
          : null;
    const verdict = property !== null ? 'violated' : bound !== null ? 'incomplete' : errors === 0 ? 'holds' : 'error';
    const seconds = run.wallSeconds;
    return {
      ...base,
      states,
      transitions: taken === null ? null : taken - 1, // pan counts the initial state as a transition
      seconds,
      cpuSeconds: run.cpuSeconds,
      statesPerSecond: states === null ? null : states / seconds,
      peakMemoryMB: run.peakRssMB ?? numberAfter(out, /([\d.]+)\s+total actual memory usage/),
      buildSeconds,
      verdict,
      property,
      note: [
        `spin ${defines.join(' ')}; gcc ${cflags.join(' ')}; ./pan -m${MAX_DEPTH} -w${hashBits}`,
        ...(bound ? [`stopped: ${bound}`] : []),
        ...(verdict === 'error' ? [`pan exit ${run.exitCode}: ${(run.stderr || out).trim().split('\n').slice(-3).join(' | ')}`] : []),
      ].join('; '),
    };
  } catch (e) {
    return emptyRow(base, 'error', e instanceof Error ? e.message : String(e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** pan prints counts with %9.8g (8 significant digits); print them whole. */
function widenCounts(panC: string): void {
  const source = readFileSync(panC, 'utf8');
  const widened = source.replaceAll('"%9.8g states, stored', '"%9.0f states, stored').replaceAll('"%9.8g transitions (= stored+matched)', '"%9.0f transitions (= stored+matched)');
  if (widened === source) throw new Error('pan.c: the state-count format was not found (Spin version?)');
  writeFileSync(panC, widened);
}

function numberAfter(text: string, re: RegExp): number | null {
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
}
