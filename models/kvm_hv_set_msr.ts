/**
 * The host side of the Hyper-V VP index (arch/x86/kvm/hyperv.c, reference §8): userspace writes
 * HV_X64_MSR_VP_INDEX of a vCPU (kvm_hv_set_msr(), host-initiated only) while guest hypercalls
 * translate VP indexes. One atomic step per shared-memory access; the order of the accesses of one
 * write is what the variants of the hv-vpindex spec differ in.
 *
 * Merged code (v4.20+): `if (hv_vcpu->vp_index == vcpu->vcpu_idx) atomic_inc(&num_mismatched);
 * else if (new_vp_index == vcpu->vcpu_idx) atomic_dec(&num_mismatched); hv_vcpu->vp_index =
 * new_vp_index;` — both counter updates before the store.
 */
import { setAt } from './context.ts';
import type { HvContext } from './hyperv.ts';
import { type Guard, type RegionConfig, to, type TransitionConfig, type Update } from './transition.ts';

/** One shared access of a VP_INDEX write. */
export type VpIndexWriteStep =
  /** atomic_inc(&hv->num_mismatched_vp_indexes) */
  | 'atomic_inc'
  /** atomic_dec(&hv->num_mismatched_vp_indexes) */
  | 'atomic_dec'
  /** hv_vcpu->vp_index = new_vp_index */
  | 'vp_index'
  /** rebuild the condensed array from every vCPU's VP index; rcu_assign_pointer() it */
  | 'rcu_assign_pointer';

/** A write leaves equality with vcpu_idx, returns to it, or neither. */
export type VpIndexWriteCase = 'leaving' | 'returning' | 'other';

/** The accesses of one write, in order, for each case. */
export type VpIndexWriteOrder = Readonly<Record<VpIndexWriteCase, readonly VpIndexWriteStep[]>>;

const same = (steps: readonly VpIndexWriteStep[]): VpIndexWriteOrder => ({ leaving: steps, returning: steps, other: steps });

export const VP_INDEX_WRITE_ORDERS = {
  /** No derived structure: the store alone. */
  store: same(['vp_index']),
  /** kvm_hv_set_msr() as merged: the counter update, then the store. */
  'counter-before-store': { leaving: ['atomic_inc', 'vp_index'], returning: ['atomic_dec', 'vp_index'], other: ['vp_index'] },
  /** Mutant: the store, then the counter update. */
  'counter-after-store': { leaving: ['vp_index', 'atomic_inc'], returning: ['vp_index', 'atomic_dec'], other: ['vp_index'] },
  /** Model: the counter over-approximates the mismatches — increment before the store, decrement after it. */
  'inc-before-dec-after': { leaving: ['atomic_inc', 'vp_index'], returning: ['vp_index', 'atomic_dec'], other: ['vp_index'] },
  /** Condensed array (seed 002, v2): the store, then the rebuilt array published under RCU. */
  'store-then-publish': same(['vp_index', 'rcu_assign_pointer']),
} as const satisfies Record<string, VpIndexWriteOrder>;

export interface SetMsrOptions {
  readonly vcpus: number;
  /** VP_INDEX writes userspace makes (the bound of the model). */
  readonly writes: number;
  readonly order: VpIndexWriteOrder;
}

export const USERSPACE = 'userspace';
const IDLE = 'KVM_SET_MSRS';
const CASES: readonly VpIndexWriteCase[] = ['leaving', 'returning', 'other'];

function writeCase(ctx: HvContext, v: number, newVpIndex: number): VpIndexWriteCase {
  if (ctx.vp_index[v] === v) return 'leaving';
  return newVpIndex === v ? 'returning' : 'other';
}

/** The write in progress: its vCPU and new VP index, fixed when the write starts or read back after. */
type PendingWrite = (ctx: HvContext) => { readonly v: number; readonly x: number };
const inProgress: PendingWrite = (ctx) => ({ v: ctx.model_set_msr_vcpu, x: ctx.new_vp_index });

/** The shared access `step` of the write `pending`. */
function access(step: VpIndexWriteStep, pending: PendingWrite): Update<HvContext> {
  return ({ context }) => {
    switch (step) {
      case 'atomic_inc':
        return { num_mismatched_vp_indexes: context.num_mismatched_vp_indexes + 1 };
      case 'atomic_dec':
        return { num_mismatched_vp_indexes: context.num_mismatched_vp_indexes - 1 };
      case 'rcu_assign_pointer':
        return { vp_index_map: context.vp_index.slice() };
      case 'vp_index': {
        const { v, x } = pending(context);
        // ghost: every hypercall in progress whose set holds x has now seen vCPU v with a VP index in it
        const had = context.model_had_vp_index.map((row, h) => ((context.vp_bitmap[h]! >> x) & 1 ? setAt(row, v, true) : (row as boolean[])));
        return { vp_index: setAt(context.vp_index, v, x), model_had_vp_index: had };
      }
    }
  };
}

/** The userspace thread that writes HV_X64_MSR_VP_INDEX `writes` times (any vCPU, any other value). */
export function setMsrRegion(options: SetMsrOptions): RegionConfig {
  const ev = (name: string): string => `${USERSPACE}.${name}`;
  const { vcpus, writes, order } = options;
  const always: Guard<HvContext> = () => true;
  // a state per (case, access) — named by the access alone when every case has the same sequence
  const uniform = CASES.every((c) => order[c].join() === order.other.join());
  const stateOf = (c: VpIndexWriteCase, step: VpIndexWriteStep): string => (uniform ? step : `${step}(${c})`);

  /**
   * The access at position i of case c's sequence (on the write in progress, or on `start` when
   * the step also starts the write), going on to the next access or ending the write: count it,
   * forget it, and stop after `writes` writes.
   */
  const stepAt = (c: VpIndexWriteCase, i: number, guard: Guard<HvContext>, start?: { v: number; x: number }): TransitionConfig[] => {
    const steps = order[c];
    const begin = start ? { model_set_msr_vcpu: start.v, new_vp_index: start.x } : {};
    const update: Update<HvContext> = (a) => ({ ...begin, ...access(steps[i]!, start ? () => start : inProgress)(a) });
    if (i + 1 < steps.length) return [to<HvContext>(stateOf(c, steps[i + 1]!), { guard, update })];
    const end: Update<HvContext> = (a) => ({ ...update(a), model_set_msr_vcpu: 0, new_vp_index: 0, model_writes: a.context.model_writes + 1 });
    return [
      to<HvContext>('done', { guard: (a) => guard(a) && a.context.model_writes + 1 === writes, update: end }),
      to<HvContext>(IDLE, { guard, update: end }),
    ];
  };

  const choose: Record<string, TransitionConfig[]> = {};
  for (let v = 0; v < vcpus; v++) {
    for (let x = 0; x < vcpus; x++) {
      // kvm_hv_set_msr(): `if (new_vp_index == hv_vcpu->vp_index) return 0;` — only real changes
      choose[ev(`kvm_hv_set_msr(vcpu${v},HV_X64_MSR_VP_INDEX=${x})`)] = CASES.flatMap((c) =>
        stepAt(c, 0, ({ context }) => context.model_writes < writes && context.vp_index[v] !== x && writeCase(context, v, x) === c, { v, x }),
      );
    }
  }
  const states: RegionConfig['states'] = { [IDLE]: { on: choose } };
  for (const c of CASES) {
    order[c].forEach((step, i) => {
      if (i > 0) states[stateOf(c, step)] = { on: { [ev(step)]: stepAt(c, i, always) } };
    });
  }
  states['done'] = { type: 'final' };
  // with one vCPU there is no other VP index to write: userspace has nothing to do
  return { initial: vcpus > 1 && writes > 0 ? IDLE : 'done', states };
}
