/**
 * The memory models against published litmus outcomes. The table below is written from the
 * literature, not from specs/litmus.ts: x86-TSO per Intel SDM vol. 3 §8.2.3 and Owens, Sarkar,
 * Sewell, "A better x86 memory model: x86-TSO" (TPHOLs 2009); the LKMM (tools/memory-model,
 * Documentation/atomic_bitops.txt) for the tests the arm64-like model runs; sequential consistency
 * forbids every one of these outcomes.
 */
import { describe, expect, it } from 'vitest';
import { asExpected, runVariant } from '../../cli/runSpec.ts';
import { litmus } from '../../specs/litmus.ts';

const X86_TSO: Readonly<Record<string, 'allowed' | 'forbidden'>> = {
  SB: 'allowed', // §8.2.3.4: loads may be reordered with older stores to other locations
  'SB+mb+po': 'allowed', // one fence is not enough: P1's store can still pass its load
  'SB+mbs': 'forbidden', // §8.2.3.9 / MFENCE
  'SB+xchgs': 'forbidden', // §8.2.3.9: loads and stores are not reordered with locked instructions
  'SB+set_bits': 'forbidden', // set_bit is LOCK BTS on x86: §8.2.3.9
  MP: 'forbidden', // §8.2.3.2: stores are not reordered with other stores, loads with other loads
  LB: 'forbidden', // §8.2.3.3: stores are not reordered with older loads
  IRIW: 'forbidden', // §8.2.3.7: stores are seen in a consistent order by other processors
};

/** The LKMM's verdicts on the tests whose outcome depends on what arm64-like changes (the atomics). */
const LKMM: Readonly<Record<string, 'allowed' | 'forbidden'>> = {
  SB: 'allowed',
  'SB+mbs': 'forbidden',
  'SB+xchgs': 'forbidden', // value-returning atomics are fully ordered
  'SB+set_bits': 'allowed', // non-value-returning bitops order nothing
};

describe('litmus: each memory model reaches exactly the published outcomes', () => {
  it('covers every litmus test of the table', () => {
    expect(litmus.variants.map((v) => v.name).sort()).toEqual(Object.keys(X86_TSO).sort());
  });
  for (const variant of litmus.variants) {
    it(`${variant.name}: ${X86_TSO[variant.name]} under tso, forbidden under sc`, () => {
      const tso = runVariant(litmus, variant, litmus.defaults, { memoryModel: 'tso' });
      const sc = runVariant(litmus, variant, litmus.defaults, { memoryModel: 'sc' });
      expect(tso.memoryModel).toBe('tso');
      expect(tso.verdict).toBe(X86_TSO[variant.name] === 'allowed' ? 'violated' : 'holds');
      expect(sc.verdict).toBe('holds');
      // the spec's own expectations agree with the table
      expect(asExpected(tso)).toBe(true);
      expect(asExpected(sc)).toBe(true);
    });
  }
  for (const name of Object.keys(LKMM)) {
    it(`${name}: ${LKMM[name]} under arm64-like (LKMM)`, () => {
      const variant = litmus.variants.find((v) => v.name === name)!;
      expect(variant.memoryModels).toContain('arm64-like');
      const run = runVariant(litmus, variant, litmus.defaults, { memoryModel: 'arm64-like' });
      expect(run.verdict).toBe(LKMM[name] === 'allowed' ? 'violated' : 'holds');
      expect(asExpected(run)).toBe(true);
    });
  }
  it('SB under tso: both loads read memory before either store drains', () => {
    const sb = litmus.variants.find((v) => v.name === 'SB')!;
    const steps = runVariant(litmus, sb, litmus.defaults, { memoryModel: 'tso' }).counterexample!.steps.map((s) => s.action);
    const loads = [steps.indexOf('r0=READ_ONCE(y)'), steps.indexOf('r1=READ_ONCE(x)')];
    const drains = [steps.indexOf('drain(x)'), steps.indexOf('drain(y)')];
    expect(Math.min(...loads)).toBeGreaterThanOrEqual(0);
    expect(Math.min(...drains)).toBeGreaterThan(Math.max(...loads));
  });
});
