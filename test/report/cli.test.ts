import { runCli } from '../cli/runCli.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, } from 'vitest';
import type { Trace } from '../../checker/engine/index.ts';
import { threadSwitchCount } from '../../checker/report/counterexample.ts';
import type { ReportFiles } from '../../cli/report.ts';
import { type Explored, type RunResult, runVariant } from '../../cli/runSpec.ts';
import { guestMode } from '../../specs/guest-mode.ts';

const cli = runCli;

const dir = mkdtempSync(join(tmpdir(), 'kvmcheck-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check --graph', () => {
  it('writes the reachable state graph of a small configuration, with the counterexample path on it', () => {
    const { code, out } = cli('check', 'guest-mode', '--variant', 'check-before-mode', '--vcpus', '1', '--requesters', '1', '--graph', '--out', dir, '--json');
    expect(code).toBe(0);
    const [run] = JSON.parse(out) as (RunResult & { files: ReportFiles })[];
    expect(run!.files.graphDot).toBe(join(dir, 'guest-mode-check-before-mode.graph.dot'));
    const graph = JSON.parse(readFileSync(run!.files.graphJson!, 'utf8')) as { states: { violates: string[] }[]; edges: unknown[]; path: number[] };
    expect(graph.states.length).toBeGreaterThanOrEqual(run!.states);
    expect(graph.path).toHaveLength(run!.counterexample!.steps.length + 1);
    expect(graph.states[graph.path.at(-1)!]!.violates).toContain('no-missed-request');
    expect(existsSync(run!.files.graphDot!)).toBe(true);
  });

  it.each([
    [['--graph'], /--graph needs --out DIR/],
    [['--graph', '--out', dir, '--properties', 'safety'], /--graph: more than 20000 reachable states/],
    [['--minimize', 'steps'], /--minimize supports only 'switches'/],
  ])('%j exits 2 with one line on stderr', (flags, message) => {
    const { code, err } = cli('check', 'guest-mode', '--variant', 'check-before-mode', ...flags);
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(message);
  });
});

describe('--minimize switches', () => {
  it('keeps the shortest length, switches threads no more often, and still ends in a violation', () => {
    const variant = guestMode.variants.find((v) => v.name === 'rfc-1-6')!;
    const options = { properties: 'safety' as const };
    const plain = runVariant(guestMode, variant, guestMode.defaults, options);
    let explored: Explored | null = null;
    const minimized = runVariant(guestMode, variant, guestMode.defaults, { ...options, minimize: 'switches', onExplored: (e) => (explored = e) });
    const a = plain.counterexample!;
    const b = minimized.counterexample!;
    expect(b.steps.length).toBe(a.steps.length);
    expect(threadSwitchCount(b)).toBeLessThanOrEqual(threadSwitchCount(a));
    const { system, properties, trace } = explored! as Explored & { trace: Trace };
    system.load(trace.states.at(-1)!);
    const property = properties.find((p) => p.name === minimized.property)!;
    expect(property.kind === 'always' && property.holds()).toBe(false);
  });
});
