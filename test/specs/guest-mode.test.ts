import { brokenAt, replaySnapshots } from './replay.ts';
import type { AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { asExpected, runVariant } from '../../cli/runSpec.ts';
import { guestMode } from '../../specs/guest-mode.ts';

const config = guestMode.defaults;

describe('guest-mode: every variant gets its verdict by exploration', () => {
  for (const variant of guestMode.variants) {
    it(`${variant.name} is ${variant.expected.verdict} with and without symmetry`, () => {
      // safety with and without the reduction (liveness runs always explore unreduced)
      const withSym = runVariant(guestMode, variant, config, { symmetry: true, properties: 'safety' });
      const without = runVariant(guestMode, variant, config, { symmetry: false, properties: 'safety' });
      expect(asExpected(withSym)).toBe(true);
      expect(without.verdict).toBe(withSym.verdict);
      expect(without.property).toBe(withSym.property);
      if (withSym.verdict === 'holds' && withSym.expected === 'holds') expect(without.states).toBeGreaterThan(withSym.states);
      // shortest counterexamples have the same length with and without the reduction
      expect(without.counterexample?.steps.length).toBe(withSym.counterexample?.steps.length);
    });
  }
});

/** Replays a counterexample on the XState machine itself, event by event, with `transition()`. */
function replay(variantName: string): { snapshot: AnyMachineSnapshot; holds: (name: string) => boolean } {
  const variant = guestMode.variants.find((v) => v.name === variantName)!;
  const run = runVariant(guestMode, variant, config);
  const { machine, properties } = variant.build(config);
  const snapshot = replaySnapshots(machine, run.counterexample!.steps).pop()!;
  const broken = brokenAt(properties, snapshot);
  return { snapshot, holds: (name) => !broken.includes(name) };
}

describe('guest-mode liveness (weak fairness per thread) under symmetry reduction', () => {
  for (const [name, violated] of [
    ['kernel', null],
    ['no-action-logged', 'request-consumed'],
    ['walk-takes-mmu-lock', 'wait-returns'],
  ] as const) {
    it(`${name}: ${violated ?? 'both liveness properties hold'}${violated ? ' is violated by a lasso that replays on the XState machine' : ''}`, () => {
      const variant = guestMode.variants.find((v) => v.name === name)!;
      const run = runVariant(guestMode, variant, variant.defaults ?? config, { properties: 'liveness' });
      expect(run.symmetry).toBe(true);
      expect(asExpected(run)).toBe(true);
      expect(run.property).toBe(violated);
      if (!violated) return;
      // a real lasso: replayed event by event, the state at loopStart is the last one again
      const { loopStart, steps } = run.counterexample!;
      const snapshots = replaySnapshots(variant.build(variant.defaults ?? config).machine, steps);
      const view = (s: AnyMachineSnapshot) => JSON.stringify([s.value, s.context]);
      expect(view(snapshots[loopStart!]!)).toBe(view(snapshots[snapshots.length - 1]!));
    });
  }

  for (const variant of guestMode.variants) {
    it(`${variant.name}: the same liveness verdict with and without symmetry at 2 vCPUs x 1 requester, on fewer states`, () => {
      const small = { vcpus: 2, requesters: 1 };
      const withSym = runVariant(guestMode, variant, small, { properties: 'liveness' });
      const without = runVariant(guestMode, variant, small, { properties: 'liveness', symmetry: false });
      expect([withSym.symmetry, without.symmetry]).toEqual([true, false]);
      expect(withSym.verdict).toBe(without.verdict);
      expect(withSym.property).toBe(without.property);
      expect(withSym.states).toBeLessThan(without.states);
    });
  }
});

describe('guest-mode counterexamples replay on the XState machine', () => {
  it('rfc-1-6: a WAIT requester frees a resource still in use (no-missed-wait), in at most 25 steps', () => {
    const variant = guestMode.variants.find((v) => v.name === 'rfc-1-6')!;
    const run = runVariant(guestMode, variant, config);
    expect(run.property).toBe('no-missed-wait');
    expect(run.counterexample!.steps.length).toBeLessThanOrEqual(25);
    const { holds } = replay('rfc-1-6');
    expect(holds('no-missed-wait')).toBe(false);
    expect(holds('no-missed-request')).toBe(true);
  });

  it('check-before-mode: the vCPU enters the guest with a request nobody will kick it for', () => {
    const { holds } = replay('check-before-mode');
    expect(holds('no-missed-request')).toBe(false);
  });

  it('kernel: the same requester races are explored and both properties hold', () => {
    const run = runVariant(guestMode, guestMode.variants.find((v) => v.name === 'kernel')!, config);
    expect(run.verdict).toBe('holds');
    expect(run.counterexample).toBeNull();
  });
});

describe('compiled and XState-interpreted exploration agree', () => {
  for (const name of ['kernel', 'check-before-mode']) {
    it(`${name} at 1 vCPU x 1 requester: same verdict and state count`, () => {
      const variant = guestMode.variants.find((v) => v.name === name)!;
      const small = { vcpus: 1, requesters: 1 };
      const compiled = runVariant(guestMode, variant, small, { symmetry: false });
      const interpreted = runVariant(guestMode, variant, small, { symmetry: false, interpreted: true });
      expect(interpreted.verdict).toBe(compiled.verdict);
      expect(interpreted.states).toBe(compiled.states);
      expect(interpreted.transitions).toBe(compiled.transitions);
    });
  }
});
