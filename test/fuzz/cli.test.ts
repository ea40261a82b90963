/**
 * The `kvmcheck fuzz` command: exit 1 when a violation is found (whatever the variant expects),
 * 0 when none is, 2 on bad input; the printed replay command reproduces the violation; --json.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';

/** Runs the CLI in-process and captures what it prints. */
function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out.push(a.join(' '));
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  });
  try {
    return { code: main(argv), out: out.join('\n'), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

const seed = process.env.CI ? '20260121' : String(Math.floor(Math.random() * 0x7fffffff));

describe(`kvmcheck fuzz (seed ${seed})`, () => {
  it('rfc-1-6 at 8 vCPUs: exit 1, the expected violation, and a replay command that reproduces it on the first run', () => {
    // runs to find it at 8 vCPUs over 30 seeds: median 79, at most 306
    const found = run('fuzz', 'guest-mode', '--variant', 'rfc-1-6', '--vcpus', '8', '--runs', '3000', '--steps', '500', '--seed', seed, '--json');
    expect(found.code).toBe(1);
    const [r] = JSON.parse(found.out) as { verdict: string; property: string; asExpected: boolean; replayCommand: string; counterexample: { steps: unknown[] } }[];
    expect(r!.verdict).toBe('violated');
    expect(r!.property).toBe('no-missed-wait');
    expect(r!.asExpected).toBe(true);
    const argv = r!.replayCommand.split(' ');
    expect(argv[0]).toBe('kvmcheck');
    const again = run(...argv.slice(1), '--json');
    expect(again.code).toBe(1);
    const [r2] = JSON.parse(again.out) as { runsDone: number; counterexample: { steps: unknown[] } }[];
    expect(r2!.runsDone).toBe(1);
    expect(r2!.counterexample.steps).toEqual(r!.counterexample.steps);
  });

  it('kernel at 8 vCPUs: exit 0, "no violation found in K runs x S steps" (never "holds"), coverage', () => {
    const { code, out } = run('fuzz', 'guest-mode', '--variant', 'kernel', '--vcpus', '8', '--runs', '30', '--steps', '300', '--seed', seed);
    expect(code).toBe(0);
    expect(out).toContain('no violation found in 30 runs x 300 steps');
    expect(out).toContain('coverage: ');
    expect(out).toMatch(/vcpu: \d+ action kinds/);
    expect(out).not.toContain('holds');
  });

  it('bad input: one line on stderr, exit 2', () => {
    for (const argv of [
      ['fuzz', 'no-such-spec'],
      ['fuzz', 'guest-mode', '--variant', 'no-such-variant'],
      ['fuzz', 'guest-mode', '--replay', '1:2:3'],
      ['fuzz', 'guest-mode', '--variant', 'kernel', '--replay', 'not-a-path'],
      ['fuzz', 'guest-mode', '--variant', 'kernel', '--runs', '0'],
    ]) {
      const { code, err } = run(...argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });
});
