import { brokenAt, replaySnapshots } from './replay.ts';
import type { AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { asExpected, runVariant } from '../../cli/runSpec.ts';
import { hvVpindex } from '../../specs/hv-vpindex.ts';
import type { SpecConfig } from '../../specs/index.ts';

/** Two vCPUs and two hypercalls: symmetry has something to reduce, and every run takes well under a second. */
const small: SpecConfig = { vcpus: 2, requesters: 2 };
const variantNamed = (name: string) => hvVpindex.variants.find((v) => v.name === name)!;

describe('hv-vpindex: every variant gets its verdict by exploration', () => {
  for (const variant of hvVpindex.variants) {
    it(`${variant.name} is ${variant.expected.verdict} with and without symmetry`, () => {
      const withSym = runVariant(hvVpindex, variant, small, { symmetry: true });
      const without = runVariant(hvVpindex, variant, small, { symmetry: false });
      expect(asExpected(withSym)).toBe(true);
      expect(asExpected(without)).toBe(true);
      expect(withSym.symmetry).toBe(true);
      if (withSym.verdict === 'holds') expect(without.states).toBeGreaterThan(withSym.states);
      expect(without.counterexample?.steps.length).toBe(withSym.counterexample?.steps.length);
    });
  }

  it('three vCPUs and one hypercall (a binary search over three entries): the same verdicts', () => {
    for (const variant of hvVpindex.variants) expect(asExpected(runVariant(hvVpindex, variant, { vcpus: 3, requesters: 1 })), variant.name).toBe(true);
  });
});

/** Replays a variant's counterexample on the XState machine itself, event by event, with `transition()`. */
function replay(name: string): { snapshot: AnyMachineSnapshot; holds: boolean; steps: number } {
  const variant = variantNamed(name);
  const run = runVariant(hvVpindex, variant, small);
  const { machine, properties } = variant.build(small);
  const snapshot = replaySnapshots(machine, run.counterexample!.steps).pop()!;
  return { snapshot, holds: brokenAt(properties, snapshot).length === 0, steps: run.counterexample!.steps.length };
}

describe('hv-vpindex counterexamples replay on the XState machine and end in a violation', () => {
  it('mismatch-counter: atomic_dec before the store lets the fast path answer with a vCPU that never had the index', () => {
    const { snapshot, holds, steps } = replay('mismatch-counter');
    expect(holds).toBe(false);
    expect(steps).toBe(5);
    // the translated vCPU still has the VP index it moved to: the store that returns it to equality has not happened
    const ctx = snapshot.context as { vp_index: number[]; vcpu_mask: boolean[][] };
    const translated = ctx.vcpu_mask.flatMap((row) => row.flatMap((inMask, v) => (inMask ? [v] : [])));
    expect(translated.some((v) => ctx.vp_index[v] !== v)).toBe(true);
  });

  for (const name of ['counter-after-store', 'condensed-array']) {
    it(`${name}: a stale answer in three steps`, () => {
      const { holds, steps } = replay(name);
      expect(holds).toBe(false);
      expect(steps).toBe(3);
    });
  }

  it('the property is violated by some variant and holds for others', () => {
    const verdicts = hvVpindex.variants.map((v) => runVariant(hvVpindex, v, small));
    expect(verdicts.some((r) => r.verdict === 'violated' && r.property === 'translated-vcpu-had-vp-index')).toBe(true);
    expect(verdicts.some((r) => r.verdict === 'holds')).toBe(true);
  });
});

describe('compiled and XState-interpreted exploration agree', () => {
  for (const name of ['inc-before-dec-after', 'condensed-array-recheck']) {
    it(`${name} at 2 vCPUs x 1 hypercall: same verdict and state count`, () => {
      const config = { vcpus: 2, requesters: 1 };
      const compiled = runVariant(hvVpindex, variantNamed(name), config, { symmetry: false });
      const interpreted = runVariant(hvVpindex, variantNamed(name), config, { symmetry: false, interpreted: true });
      expect(interpreted.verdict).toBe(compiled.verdict);
      expect(interpreted.states).toBe(compiled.states);
      expect(interpreted.transitions).toBe(compiled.transitions);
    });
  }
});
