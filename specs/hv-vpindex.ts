/**
 * hv-vpindex (seeds/002, June 2018): "KVM: x86: hyperv: introduce vp_index_to_vcpu_idx mapping".
 * PV TLB flush and PV IPI hypercalls translate a set of VP indexes into vCPUs; Vitaly: a full scan
 * per index costs "up to 128 * 128 extra comparisons on every hypercall", so a condensed sorted
 * array under RCU; Roman: VP indexes are dense and usually equal the vCPU index, keep the fast
 * path. Merged (v4.20): the fast path guarded by num_mismatched_vp_indexes. The question here is
 * the one the thread did not ask: is each answer right while userspace writes VP_INDEX?
 * (bench/hv-vpindex.ts answers the cost question.)
 */
import type { StateView } from '../checker/xstate/index.ts';
import { always } from '../checker/xstate/index.ts';
import { createHypervMachine, type HvContext } from '../models/hyperv.ts';
import { hypercallName, type VpIndexLookup } from '../models/kvm_hv_flush_tlb.ts';
import { VP_INDEX_WRITE_ORDERS } from '../models/kvm_hv_set_msr.ts';
import type { Expected, Spec, SpecConfig, Variant } from './Spec.ts';

/** VP_INDEX writes userspace makes in every configuration (two: enough to leave and return to equality). */
export const VP_INDEX_WRITES = 2;

/**
 * Each vCPU a hypercall translated had a VP index of the hypercall's set at some moment during
 * the hypercall: no answer torn from two states, none stale from before the call. Violated when a
 * returned hypercall's vcpu_mask holds a vCPU whose ghost `model_had_vp_index` is false.
 */
export const translatedVcpuHadVpIndex = (config: SpecConfig) =>
  always('translated-vcpu-had-vp-index', ({ value, context }: StateView) => {
    const ctx = context as unknown as HvContext;
    return Array.from({ length: config.requesters }, (_, h) => h).every(
      (h) => value[hypercallName(h)] !== 'done' || ctx.vcpu_mask[h]!.every((inMask, v) => !inMask || ctx.model_had_vp_index[h]![v]),
    );
  });

const HOLDS: Expected = { verdict: 'holds' };
const VIOLATED: Expected = { verdict: 'violated', property: 'translated-vcpu-had-vp-index' };

function variant(name: string, description: string, expected: Expected, lookup: VpIndexLookup, order: keyof typeof VP_INDEX_WRITE_ORDERS): Variant {
  return {
    name,
    description,
    expected,
    build: (config) => ({
      machine: createHypervMachine({ vcpus: config.vcpus, hypercalls: config.requesters, writes: VP_INDEX_WRITES, lookup, writeOrder: VP_INDEX_WRITE_ORDERS[order] }),
      properties: [translatedVcpuHadVpIndex(config)],
    }),
  };
}

export const hvVpindex: Spec = {
  name: 'hv-vpindex',
  seed: '002_77ef538be32e9cb4.txt',
  description: 'Hyper-V VP index -> vCPU translation in PV TLB flush/IPI hypercalls while userspace writes VP_INDEX (requesters = hypercalls)',
  defaults: { vcpus: 3, requesters: 2 },
  variants: [
    variant('full-scan', 'per VP index, kvm_for_each_vcpu() comparing kvm_hv_get_vpindex() (the 128 * 128 walk)', HOLDS, 'full-scan', 'store'),
    variant('get_vcpu_by_vpidx', 'per VP index, kvm_get_vcpu(vpidx) if its VP index matches, else the walk (Roman)', HOLDS, 'get_vcpu_by_vpidx', 'store'),
    variant(
      'mismatch-counter',
      'merged (v4.20): fast path if num_mismatched_vp_indexes is 0; kvm_hv_set_msr() updates the counter before the store',
      VIOLATED,
      'sparse_set_to_vcpu_mask',
      'counter-before-store',
    ),
    variant('counter-after-store', 'mutant: the counter updated after the VP_INDEX store', VIOLATED, 'sparse_set_to_vcpu_mask', 'counter-after-store'),
    variant(
      'inc-before-dec-after',
      'model: the counter over-approximates the mismatches (atomic_inc before the store, atomic_dec after it)',
      HOLDS,
      'sparse_set_to_vcpu_mask',
      'inc-before-dec-after',
    ),
    variant('condensed-array', 'Vitaly v2: binary search of the condensed sorted array under RCU, republished after the store', VIOLATED, 'condensed-array', 'store-then-publish'),
    variant(
      'condensed-array-recheck',
      "model: the array's answer re-checked with kvm_hv_get_vpindex(), the walk if it no longer matches",
      HOLDS,
      'condensed-array-recheck',
      'store-then-publish',
    ),
  ],
};
