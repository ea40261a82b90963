import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benchHvVpindex } from '../../bench/hv-vpindex.ts';
import { buildCondensedArray, condensedLookup, VP_INDEX_TRANSLATIONS, type VpIndexTranslation } from '../../models/hv_vpindex_lookup.ts';

/** The reference: a plain Map from vCPU index to VP index. */
interface Model {
  readonly vpIndexOf: Map<number, number>;
}

/** kvm_hv_set_msr(HV_X64_MSR_VP_INDEX): only when no other vCPU has that VP index (indexes identify VPs). */
class SetVpIndex implements fc.Command<Model, VpIndexTranslation> {
  constructor(
    readonly vcpu: number,
    readonly vpIndex: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.vpIndexOf.has(this.vcpu) && ![...m.vpIndexOf].some(([v, vp]) => v !== this.vcpu && vp === this.vpIndex);
  }
  run(m: Model, real: VpIndexTranslation): void {
    m.vpIndexOf.set(this.vcpu, this.vpIndex);
    real.setVpIndex(this.vcpu, this.vpIndex);
  }
  toString(): string {
    return `set(vcpu${this.vcpu}=${this.vpIndex})`;
  }
}

/** A hypercall's set: the answer is exactly the vCPUs whose VP index is in it, ascending. */
class Translate implements fc.Command<Model, VpIndexTranslation> {
  constructor(readonly vpSet: readonly number[]) {}
  check(): boolean {
    return true;
  }
  run(m: Model, real: VpIndexTranslation): void {
    const set = new Set(this.vpSet);
    const expected = [...m.vpIndexOf].filter(([, vp]) => set.has(vp)).map(([v]) => v).sort((a, b) => a - b);
    expect(real.translate(this.vpSet)).toEqual(expected);
  }
  toString(): string {
    return `translate({${this.vpSet.join(',')}})`;
  }
}

const MAX_VCPUS = 6;
/** VP indexes range a little past the vCPU count, so that a vCPU can move to a free one. */
const MAX_VP_INDEX = MAX_VCPUS + 3;

describe('VP index lookup structures agree with a Map under random set/translate sequences', () => {
  for (const [name, create] of Object.entries(VP_INDEX_TRANSLATIONS)) {
    it(name, () => {
      const commands = fc.commands(
        [
          fc.tuple(fc.nat(MAX_VCPUS - 1), fc.nat(MAX_VP_INDEX)).map(([v, vp]) => new SetVpIndex(v, vp)),
          fc.uniqueArray(fc.nat(MAX_VP_INDEX), { minLength: 1, maxLength: 5 }).map((s) => new Translate(s)),
        ],
        { maxCommands: 40 },
      );
      fc.assert(
        fc.property(fc.integer({ min: 1, max: MAX_VCPUS }), commands, (vcpus, cmds) => {
          const setup = () => ({
            model: { vpIndexOf: new Map(Array.from({ length: vcpus }, (_, v) => [v, v] as [number, number])) },
            real: create(vcpus),
          });
          fc.modelRun(setup, cmds);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('the structures count what they compare', () => {
  it('the condensed array is sorted by VP index and searched in about log2(n) comparisons', () => {
    const array = buildCondensedArray([3, 0, 2, 1]);
    expect(array.map((e) => e.vcpuIdx)).toEqual([1, 3, 2, 0]);
    expect(condensedLookup(array, 2)).toEqual({ vcpuIdx: 2, comparisons: 3 });
    expect(condensedLookup(array, 7).vcpuIdx).toBe(-1);
  });

  it('bench: 128 vCPUs, a full set — the per-index walk costs n(n+1)/2, the mismatch counter one walk', () => {
    const rows = benchHvVpindex(128);
    const at = (scenario: string, structure: string) => rows.find((r) => r.scenario.startsWith(scenario) && r.structure === structure)!;
    expect(rows.every((r) => r.translated === r.setSize)).toBe(true);
    expect(at('full set, vp_index ==', 'full scan per index').comparisons).toBe((128 * 129) / 2);
    expect(at('full set, vp_index ==', 'get_vcpu_by_vpidx').comparisons).toBe(128);
    expect(at('full set, vp_index ==', 'mismatch counter').comparisons).toBe(1);
    expect(at('full set, every', 'get_vcpu_by_vpidx').comparisons).toBe(128 + (128 * 129) / 2);
    expect(at('full set, every', 'mismatch counter').comparisons).toBe(1 + 128);
    expect(at('one VP index', 'condensed sorted array').comparisons).toBeLessThanOrEqual(9);
    expect(at('one VP index', 'mismatch counter').comparisons).toBe(1 + 128);
  });
});
