/**
 * Runs one external command with a time bound and measures it: wall seconds, CPU seconds and peak
 * RSS from GNU time (`/usr/bin/time -f`) when it is installed. At the bound the whole process
 * group gets SIGINT (Spin's pan prints its statistics on it), then SIGKILL 10 s later.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export interface Measured {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly wallSeconds: number;
  /** user + system CPU seconds of the command (null without GNU time). */
  readonly cpuSeconds: number | null;
  /** Peak resident set size of the command in MiB (null without GNU time). */
  readonly peakRssMB: number | null;
}

export interface MeasureOptions {
  readonly cwd: string;
  readonly timeoutSeconds: number;
  /** Address-space limit (ulimit -v) in MiB, for commands that have no memory bound of their own. */
  readonly memoryLimitMB?: number;
}

/** Whether `command args` runs and exits 0 (a tool is installed). */
export function commandWorks(command: string, args: readonly string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

const hasGnuTime = (): boolean => existsSync(GNU_TIME) && commandWorks(GNU_TIME, ['-f', '', 'true']);

export function measure(command: string, args: readonly string[], options: MeasureOptions): Promise<Measured> {
  const timeFile = join(options.cwd, 'gnu-time.txt');
  const timed = hasGnuTime();
  let argv = [command, ...args];
  if (timed) argv = [GNU_TIME, '-o', timeFile, '-f', '%U %S %M', ...argv];
  if (options.memoryLimitMB !== undefined) argv = ['sh', '-c', `ulimit -v ${options.memoryLimitMB * 1024} && exec "$@"`, 'sh', ...argv];
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const boundTimer = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGINT');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
    }, options.timeoutSeconds * 1000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(boundTimer);
      if (killTimer) clearTimeout(killTimer);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const usage = timed && existsSync(timeFile) ? parseGnuTime(readFileSync(timeFile, 'utf8')) : null;
      resolve({ stdout, stderr, exitCode, timedOut, wallSeconds, cpuSeconds: usage?.cpuSeconds ?? null, peakRssMB: usage?.peakRssMB ?? null });
    });
  });
}

/** The last line of `-f '%U %S %M'` (GNU time may write a "Command exited ..." line first). */
function parseGnuTime(text: string): { cpuSeconds: number; peakRssMB: number } | null {
  const m = /(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)\s*$/.exec(text);
  return m ? { cpuSeconds: Number(m[1]) + Number(m[2]), peakRssMB: Number(m[3]) / 1024 } : null;
}

/** Runs a build step (generator or compiler); throws with its stderr if it fails. */
export function build(command: string, args: readonly string[], cwd: string): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(0, 5).join(' | ')}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}
