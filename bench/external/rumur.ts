/**
 * Rumur on bench/external/guest_mode.m: the Murphi constants rewritten for the configuration, the
 * verifier generated with the requested symmetry reduction and compiled with the flags Rumur recommends,
 * run in a temporary directory under an address-space limit (the verifier has no memory bound).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, commandWorks, measure } from './measure.ts';
import { emptyRow, type ExternalConfig, type ExternalOptions, type ExternalRow, type ExternalSymmetry } from './row.ts';
import { encodingParameters } from './variants.ts';

const RUMUR_INSTALL = 'apt-get update && apt-get install -y rumur gcc';
const MODEL = fileURLToPath(new URL('./guest_mode.m', import.meta.url));

export function rumurInstalled(): boolean {
  return commandWorks('rumur', ['--version']) && commandWorks('cc', ['--version']);
}

/** guest_mode.m with its configuration constants set (Murphi has no preprocessor). */
function murphiSource(config: ExternalConfig): string {
  const p = encodingParameters(config.variant ?? 'kernel');
  const constants: Record<string, number> = {
    NVCPUS: config.vcpus,
    NREQ: config.requesters,
    WAIT_IPI: p.waitIpi,
    WAIT_WAIT: p.waitWait,
    HANDLED: p.handled,
    BEFORE_MODE_STORE: p.beforeModeStore ? 1 : 0,
  };
  let source = readFileSync(MODEL, 'utf8');
  for (const [name, value] of Object.entries(constants)) {
    const line = new RegExp(`^  ${name}: \\d+;$`, 'm');
    if (!line.test(source)) throw new Error(`guest_mode.m: constant ${name} not found`);
    source = source.replace(line, `  ${name}: ${value};`);
  }
  return source;
}

export async function runRumur(config: ExternalConfig, symmetry: ExternalSymmetry, options: ExternalOptions = {}): Promise<ExternalRow> {
  const base = { checker: 'rumur', variant: config.variant ?? 'kernel', vcpus: config.vcpus, requesters: config.requesters, symmetry } as const;
  if (!rumurInstalled()) return emptyRow(base, 'not installed', `rumur or cc not installed: ${RUMUR_INSTALL}`);
  const maxSeconds = options.maxSeconds ?? 300;
  const maxMemoryMB = options.maxMemoryMB ?? 8192;
  const dir = mkdtempSync(join(tmpdir(), 'kvmcheck-rumur-'));
  try {
    writeFileSync(join(dir, 'guest_mode.m'), murphiSource(config));
    const flags = [
      `--symmetry-reduction=${symmetry}`,
      `--threads=${options.rumurThreads ?? 1}`,
      '--deadlock-detection=stuck', // kvmcheck's deadlock: no successor (Rumur's default also flags self-loops)
      '--counterexample-trace=off',
      '--colour=off',
    ];
    let buildSeconds = build('rumur', [...flags, '--output', 'checker.c', 'guest_mode.m'], dir);
    // the flags the generated verifier itself recommends (its #warning at -O0)
    const cflags = options.fastBuild ? ['-std=gnu11', '-O0', '-mcx16', '-w'] : ['-std=gnu11', '-O3', '-march=native', '-fwhole-program', '-mcx16'];
    buildSeconds += build('cc', [...cflags, '-o', 'checker', 'checker.c', '-lpthread'], dir);
    const run = await measure('./checker', [], { cwd: dir, timeoutSeconds: maxSeconds, memoryLimitMB: maxMemoryMB });
    const out = run.stdout;
    const property = /invariant "([^"]+)" failed/.exec(out)?.[1] ?? (/^\s*deadlock$/m.test(out) ? 'deadlock' : null);
    const finished = /No error found\./.test(out);
    const verdict = property !== null ? 'violated' : finished ? 'holds' : run.timedOut ? 'incomplete' : 'error';
    const counts = finalCounts(out) ?? progressCounts(out);
    const states = counts?.states ?? null;
    return {
      ...base,
      states,
      transitions: counts?.transitions ?? null,
      seconds: run.wallSeconds,
      cpuSeconds: run.cpuSeconds,
      statesPerSecond: states === null ? null : states / run.wallSeconds,
      peakMemoryMB: run.peakRssMB,
      buildSeconds,
      verdict,
      property,
      note: [
        `rumur ${flags.join(' ')}; cc ${cflags.join(' ')}`,
        ...(run.timedOut ? [`stopped: time bound ${maxSeconds} s; states seen by then (explored + queued)`] : []),
        ...(verdict === 'error' ? [`verifier exit ${run.exitCode} (memory bound ${maxMemoryMB} MiB?): ${(run.stderr || out).trim().split('\n').slice(-2).join(' | ')}`] : []),
      ].join('; '),
    };
  } catch (e) {
    return emptyRow(base, 'error', e instanceof Error ? e.message : String(e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Counts {
  readonly states: number;
  readonly transitions: number;
}

/** The summary of a finished run: "N states, M rules fired in Ts." */
function finalCounts(out: string): Counts | null {
  const m = /(\d+) states, (\d+) rules fired/.exec(out);
  return m ? { states: Number(m[1]), transitions: Number(m[2]) } : null;
}

/**
 * The last progress line of a stopped single-threaded run: states seen are those explored plus
 * those queued (with threads, lines are per thread and are not summed here).
 */
function progressCounts(out: string): Counts | null {
  const lines = [...out.matchAll(/^\s+(\d+) states explored in \d+s, with (\d+) rules fired and (\d+) states in the queue/gm)];
  const m = lines.at(-1);
  return m ? { states: Number(m[1]) + Number(m[3]), transitions: Number(m[2]) } : null;
}
