/**
 * Hyper-V VP index translation under concurrent VP_INDEX writes (arch/x86/kvm/hyperv.c, seeds/002,
 * reference §8) as one XState machine: H hypercall threads (kvm_hv_flush_tlb.ts) and one userspace
 * thread writing HV_X64_MSR_VP_INDEX (kvm_hv_set_msr.ts), as parallel regions over shared memory.
 * The vCPUs are data here (their VP indexes), not threads; the hypercalls are interchangeable.
 */
import { type AnyStateMachine, setup } from 'xstate';
import { flushTlbRegion, hypercallName, type VpIndexLookup } from './kvm_hv_flush_tlb.ts';
import { setMsrRegion, USERSPACE, type VpIndexWriteOrder } from './kvm_hv_set_msr.ts';

/** The shared memory of the model, and the threads' locals (per-hypercall columns). */
export interface HvContext {
  /** hv_vcpu->vp_index per vCPU (kvm_hv_get_vpindex()); starts as the vCPU index. */
  readonly vp_index: readonly number[];
  /** hv->num_mismatched_vp_indexes (variants with the mismatch counter). */
  readonly num_mismatched_vp_indexes: number;
  /**
   * The published condensed array (condensed variants), kept as the VP index of each vCPU when it
   * was built; the sorted array itself is a function of it (hv_vpindex_lookup.ts).
   */
  readonly vp_index_map: readonly number[];
  /** The write in progress: its vCPU (model_) and new_vp_index, 0 between writes. */
  readonly model_set_msr_vcpu: number;
  readonly new_vp_index: number;
  /** Writes userspace has made (bounded). */
  readonly model_writes: number;
  /** vp_bitmap[h]: hypercall h's set of VP indexes, as a bit set; 0 when h is not running. */
  readonly vp_bitmap: readonly number[];
  /** vcpu_mask[h][v]: hypercall h translated a VP index of its set to vCPU v. */
  readonly vcpu_mask: readonly (readonly boolean[])[];
  /** Ghost: vCPU v had a VP index in h's set at some moment since h started. */
  readonly model_had_vp_index: readonly (readonly boolean[])[];
}

export interface HvModelOptions {
  readonly vcpus: number;
  readonly hypercalls: number;
  /** VP_INDEX writes by userspace. */
  readonly writes: number;
  readonly lookup: VpIndexLookup;
  readonly writeOrder: VpIndexWriteOrder;
}

export const vcpuName = (v: number): string => `vcpu${v}`;

export function createHypervMachine(options: HvModelOptions): AnyStateMachine {
  const { vcpus, hypercalls, writes, lookup, writeOrder } = options;
  const V = Array.from({ length: vcpus }, (_, v) => v);
  const H = Array.from({ length: hypercalls }, (_, h) => h);
  const steps = new Set(Object.values(writeOrder).flat());
  const counter = steps.has('atomic_inc') || lookup === 'sparse_set_to_vcpu_mask';
  const published = steps.has('rcu_assign_pointer') || lookup.startsWith('condensed-array');
  // domains (checker/xstate/conventions.ts); a variable only where its variant uses it
  const vars = {
    vp_index: { type: 'int', max: vcpus - 1, dims: ['vcpu'] },
    ...(counter ? { num_mismatched_vp_indexes: { type: 'int', max: vcpus } } : {}),
    ...(published ? { vp_index_map: { type: 'int', max: vcpus - 1, dims: ['vcpu'] } } : {}),
    model_set_msr_vcpu: { type: 'int', max: vcpus - 1 },
    new_vp_index: { type: 'int', max: vcpus - 1 },
    model_writes: { type: 'int', max: writes },
    vp_bitmap: { type: 'int', max: 2 ** vcpus - 1, dims: ['hypercall'] },
    vcpu_mask: { type: 'bool', dims: ['hypercall', 'vcpu'] },
    model_had_vp_index: { type: 'bool', dims: ['hypercall', 'vcpu'] },
  };
  const context: Record<string, unknown> = {
    vp_index: V,
    ...(counter ? { num_mismatched_vp_indexes: 0 } : {}),
    ...(published ? { vp_index_map: V } : {}),
    model_set_msr_vcpu: 0,
    new_vp_index: 0,
    model_writes: 0,
    vp_bitmap: H.map(() => 0),
    vcpu_mask: H.map(() => V.map(() => false)),
    model_had_vp_index: H.map(() => V.map(() => false)),
  };
  return setup({ types: { context: {} as HvContext } }).createMachine({
    id: 'hyperv',
    type: 'parallel',
    context: context as unknown as HvContext,
    meta: {
      kvmcheck: {
        groups: { vcpu: V.map(vcpuName), hypercall: H.map(hypercallName) },
        symmetric: ['hypercall'],
        vars,
      },
    },
    states: {
      ...Object.fromEntries(H.map((h) => [hypercallName(h), flushTlbRegion(h, { vcpus, lookup })])),
      [USERSPACE]: setMsrRegion({ vcpus, writes, order: writeOrder }),
    } as never,
  }) as unknown as AnyStateMachine;
}
