import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { measureMemoryLatency, randomCycle } from '../../bench/memoryLatency.ts';

describe('randomCycle', () => {
  it('is one cycle through every line (a chase from line 0 meets each line once)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 3000 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (lines, seed) => {
        const next = randomCycle(lines, seed);
        const seen = new Uint8Array(lines);
        let at = 0;
        for (let i = 0; i < lines; i++) {
          expect(seen[at]).toBe(0);
          seen[at] = 1;
          at = next[at]!;
        }
        expect(at).toBe(0);
      }),
    );
  });
});

describe('measureMemoryLatency', () => {
  it('reports a time per read for both access patterns', () => {
    const m = measureMemoryLatency({ megabytes: 4, reads: 1 << 14, repetitions: 1 });
    expect(m.dependentNs).toBeGreaterThan(0);
    expect(m.independentNs).toBeGreaterThan(0);
    expect(Number.isFinite(m.dependentNs + m.independentNs)).toBe(true);
  });
});
