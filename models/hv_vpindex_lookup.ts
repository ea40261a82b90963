/**
 * Hyper-V VP index -> vCPU translation (arch/x86/kvm/hyperv.c, seeds/002, reference §8) as plain
 * sequential data structures that count VP index comparisons. The hv-vpindex spec's XState model
 * (hyperv.ts) runs the same lookups one shared access per step; bench/hv-vpindex.ts counts the
 * comparisons of one hypercall with 128 vCPUs (Vitaly's "128 * 128 vs 128" argument).
 *
 * VP indexes are dense and below KVM_MAX_VCPUS ("KVM: x86: hyperv: enforce vp_index <
 * KVM_MAX_VCPUS"); vCPU `i` starts with VP index `i` (kvm_hv_vcpu_postcreate).
 */

/** One way to translate a set of VP indexes (a hypercall's sparse set) into vCPU indexes. */
export interface VpIndexTranslation {
  /** kvm_hv_set_msr(HV_X64_MSR_VP_INDEX, host = true): vCPU `vcpuIdx` gets VP index `vpIndex`. */
  setVpIndex(vcpuIdx: number, vpIndex: number): void;
  /** The vCPUs (ascending) whose VP index is in `vpSet`; adds its comparisons to `comparisons`. */
  translate(vpSet: readonly number[]): number[];
  /** VP index comparisons made by every `translate` so far (a counter read counts as one). */
  readonly comparisons: number;
}

/** `hv_vcpu->vp_index` of every vCPU, as kvm_hv_get_vpindex() returns it. */
abstract class VpIndexes implements VpIndexTranslation {
  protected readonly vpIndex: number[];
  comparisons = 0;

  constructor(vcpus: number) {
    this.vpIndex = Array.from({ length: vcpus }, (_, i) => i);
  }

  setVpIndex(vcpuIdx: number, vpIndex: number): void {
    this.vpIndex[vcpuIdx] = vpIndex;
  }

  abstract translate(vpSet: readonly number[]): number[];

  /** kvm_for_each_vcpu(): the first vCPU whose VP index is `vpidx`, or -1. */
  protected scanFor(vpidx: number): number {
    for (let i = 0; i < this.vpIndex.length; i++) {
      this.comparisons++;
      if (this.vpIndex[i] === vpidx) return i;
    }
    return -1;
  }
}

const ascending = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** Full scan per index: for each requested VP index, walk every vCPU comparing its VP index. */
export class FullScanPerIndex extends VpIndexes {
  translate(vpSet: readonly number[]): number[] {
    return ascending(vpSet.map((vpidx) => this.scanFor(vpidx)).filter((i) => i >= 0));
  }
}

/** get_vcpu_by_vpidx() per index: kvm_get_vcpu(kvm, vpidx) if its VP index matches, else the scan. */
export class GetVcpuByVpidx extends VpIndexes {
  translate(vpSet: readonly number[]): number[] {
    return ascending(
      vpSet
        .map((vpidx) => {
          if (vpidx < this.vpIndex.length) {
            this.comparisons++;
            if (this.vpIndex[vpidx] === vpidx) return vpidx;
          }
          return this.scanFor(vpidx);
        })
        .filter((i) => i >= 0),
    );
  }
}

/**
 * sparse_set_to_vcpu_mask() with num_mismatched_vp_indexes (merged, v4.20): when every VP index
 * equals its vCPU index the set *is* the vCPU mask; otherwise one walk over the vCPUs tests each
 * VP index against the set (Vitaly's "128 comparisons").
 */
export class MismatchCounter extends VpIndexes {
  /** hv->num_mismatched_vp_indexes, kept as kvm_hv_set_msr() keeps it. */
  numMismatched = 0;

  override setVpIndex(vcpuIdx: number, vpIndex: number): void {
    if (vpIndex === this.vpIndex[vcpuIdx]) return;
    if (this.vpIndex[vcpuIdx] === vcpuIdx) this.numMismatched++;
    else if (vpIndex === vcpuIdx) this.numMismatched--;
    super.setVpIndex(vcpuIdx, vpIndex);
  }

  translate(vpSet: readonly number[]): number[] {
    this.comparisons++; // atomic_read(&hv->num_mismatched_vp_indexes)
    const set = new Set(vpSet);
    if (this.numMismatched === 0) return ascending(vpSet.filter((vpidx) => vpidx < this.vpIndex.length));
    const mask: number[] = [];
    this.vpIndex.forEach((vp, i) => {
      this.comparisons++; // test_bit(kvm_hv_get_vpindex(vcpu), vp_bitmap)
      if (set.has(vp)) mask.push(i);
    });
    return mask;
  }
}

/** One entry of the condensed sorted array: a VP index and the vCPU that has it. */
export interface CondensedEntry {
  readonly vpIndex: number;
  readonly vcpuIdx: number;
}

/** The condensed array built from every vCPU's VP index, sorted by (VP index, vCPU index). */
export function buildCondensedArray(vpIndexOfVcpu: readonly number[]): CondensedEntry[] {
  return vpIndexOfVcpu.map((vpIndex, vcpuIdx) => ({ vpIndex, vcpuIdx })).sort((a, b) => a.vpIndex - b.vpIndex || a.vcpuIdx - b.vcpuIdx);
}

/** Binary search (lower bound) for `vpidx`: the vCPU of its first entry, or -1, and the comparisons made. */
export function condensedLookup(array: readonly CondensedEntry[], vpidx: number): { vcpuIdx: number; comparisons: number } {
  let lo = 0;
  let hi = array.length;
  let comparisons = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    comparisons++;
    if (array[mid]!.vpIndex < vpidx) lo = mid + 1;
    else hi = mid;
  }
  if (lo === array.length) return { vcpuIdx: -1, comparisons };
  comparisons++;
  return { vcpuIdx: array[lo]!.vpIndex === vpidx ? array[lo]!.vcpuIdx : -1, comparisons };
}

/**
 * The condensed sorted array of Vitaly's v2 ("introduce vp_index_to_vcpu_idx mapping"): rebuilt
 * on every VP_INDEX write (and published with RCU in the kernel proposal), binary-searched per
 * requested VP index.
 */
export class CondensedSortedArray extends VpIndexes {
  private array: CondensedEntry[];

  constructor(vcpus: number) {
    super(vcpus);
    this.array = buildCondensedArray(this.vpIndex);
  }

  override setVpIndex(vcpuIdx: number, vpIndex: number): void {
    super.setVpIndex(vcpuIdx, vpIndex);
    this.array = buildCondensedArray(this.vpIndex);
  }

  translate(vpSet: readonly number[]): number[] {
    const found = vpSet.map((vpidx) => {
      const { vcpuIdx, comparisons } = condensedLookup(this.array, vpidx);
      this.comparisons += comparisons;
      return vcpuIdx;
    });
    return ascending(found.filter((i) => i >= 0));
  }
}

/** Every structure, by the name the tests and the bench print. */
export const VP_INDEX_TRANSLATIONS = {
  'full scan per index': (vcpus: number): VpIndexTranslation => new FullScanPerIndex(vcpus),
  get_vcpu_by_vpidx: (vcpus: number): VpIndexTranslation => new GetVcpuByVpidx(vcpus),
  'mismatch counter': (vcpus: number): VpIndexTranslation => new MismatchCounter(vcpus),
  'condensed sorted array': (vcpus: number): VpIndexTranslation => new CondensedSortedArray(vcpus),
} as const;
