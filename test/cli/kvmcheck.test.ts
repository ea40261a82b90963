import { runCli } from './runCli.ts';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exitStatus } from '../../cli/main.ts';
import type { RunResult } from '../../cli/runSpec.ts';

const run = runCli;

afterEach(() => vi.restoreAllMocks());

describe('kvmcheck check --json', () => {
  it('reports the rfc-1-6 violation with a short counterexample and the documented fields', () => {
    const { code, out } = run('check', 'guest-mode', '--variant', 'rfc-1-6', '--json');
    expect(code).toBe(0);
    const runs = JSON.parse(out) as Record<string, unknown>[];
    expect(runs).toHaveLength(1);
    const r = runs[0]!;
    for (const key of ['spec', 'variant', 'vcpus', 'requesters', 'expected', 'verdict', 'property', 'states', 'transitions', 'depth', 'seconds', 'counterexample']) {
      expect(r).toHaveProperty(key);
    }
    expect(r.verdict).toBe('violated');
    expect(r.expected).toBe('violated');
    expect(r.property).toBe('no-missed-wait');
    const steps = (r.counterexample as { steps: { thread: string; action: string; changes: object }[] }).steps;
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThanOrEqual(25);
    for (const s of steps) expect(Object.keys(s)).toEqual(expect.arrayContaining(['thread', 'action', 'changes']));
  });

  it('exits 3 with partial figures when --max-states stops a run', () => {
    const { code, out } = run('check', 'guest-mode', '--variant', 'kernel', '--max-states', '1000', '--json');
    expect(code).toBe(3);
    const [r] = JSON.parse(out) as { verdict: string; states: number; counterexample: unknown }[];
    expect(r!.verdict).toBe('incomplete');
    expect(r!.states).toBeGreaterThan(0);
    expect(r!.states).toBeLessThanOrEqual(1000);
    expect(r!.counterexample).toBeNull();
  });

  it('exits 1 on an unexpected verdict, which takes precedence over an incomplete run', () => {
    const { out } = run('check', 'guest-mode', '--variant', 'kernel', '--json', '--vcpus', '1', '--requesters', '1');
    const [ok] = JSON.parse(out) as RunResult[];
    expect(exitStatus([ok!])).toBe(0);
    const flipped: RunResult = { ...ok!, verdict: 'violated', property: 'no-missed-wait' };
    const stopped: RunResult = { ...ok!, verdict: 'incomplete' };
    expect(exitStatus([ok!, flipped])).toBe(1);
    expect(exitStatus([stopped, flipped])).toBe(1);
    expect(exitStatus([ok!, stopped])).toBe(3);
  });
});

describe('kvmcheck bad input', () => {
  for (const argv of [
    ['check', 'no-such-spec'],
    ['check', 'guest-mode', '--variant', 'no-such-variant'],
    ['check', 'guest-mode', '--vcpus', '0'],
    ['check', 'guest-mode', '--vcpus', 'three'],
    ['check', 'guest-mode', '--max-states', '-5'],
    ['check', '--bogus-flag'],
  ]) {
    it(`'${argv.join(' ')}' exits 2 with one line on stderr`, () => {
      const { code, err } = run(...argv);
      expect(code).toBe(2);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});

describe('kvmcheck list', () => {
  it('lists every spec with its seed and variants', () => {
    const { code, out } = run('list', '--json');
    expect(code).toBe(0);
    const specs = JSON.parse(out) as { spec: string; seed: string; variants: { name: string }[] }[];
    const gm = specs.find((s) => s.spec === 'guest-mode')!;
    expect(gm.seed).toMatch(/^004_/);
    expect(gm.variants.map((v) => v.name)).toEqual(expect.arrayContaining(['kernel', 'v4.11', 'rfc-1-6', 'paolo']));
  });

  it('runs as the package bin (npx kvmcheck)', () => {
    const r = spawnSync(process.execPath, ['cli/kvmcheck.mjs', 'list'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('guest-mode');
  });
});
