/**
 * The KVM vCPU request protocol as one XState machine: N vCPU threads and R requester threads as
 * parallel regions over shared memory (the context). Built to the checker's conventions
 * (checker/xstate/conventions.ts): per-thread columns, declared domains, symmetric groups.
 */
import { type AnyStateMachine, setup } from 'xstate';
import type { KvmContext } from './context.ts';
import { IPI_IDLE, IPI_STATE_MAX, IPI_STATE_NAMES, MODE_NAMES, KVM_REQ_EVENT, KVM_REQ_TLB_FLUSH, OUTSIDE_GUEST_MODE, READING_SHADOW_PAGE_TABLES } from './kvm_host.ts';
import { KVM_VCPU_KICK_MASK, type RequestMask } from './kvm_request_needs_ipi.ts';
import { type RequesterOptions, requesterRegion } from './requester.ts';
import { type Fastpath, type FinalCheck, vcpuRegion } from './vcpu_enter_guest.ts';

export interface KvmModelOptions {
  readonly vcpus: number;
  readonly requesters: number;
  /** Kick/wait mask of the WAIT request (KVM_REQ_TLB_FLUSH = WAIT | NO_WAKEUP). */
  readonly waitRequestMask: RequestMask;
  readonly kickMask?: RequestMask;
  readonly finalCheck?: FinalCheck;
  /** Request bits the vCPU handles; default: every bit the model sends. */
  readonly handledRequests?: number;
  readonly fastpath?: Fastpath;
  /** The walk-takes-mmu-lock mutant: WAIT consumers hold kvm->mmu_lock, and so does the lockless walk. */
  readonly walkTakesMmuLock?: boolean;
  /** False: the no-mb-enter-guest mutant (no full barrier after mode = IN_GUEST_MODE; VcpuOptions.modeStoreMb). */
  readonly modeStoreMb?: boolean;
  /** False: the no-mb-exiting-guest-mode mutant (no smp_mb__before_atomic() in kvm_vcpu_exiting_guest_mode()). */
  readonly mbBeforeCmpxchg?: boolean;
  /** How the WAIT consumer requests (RequesterOptions.waitConsumer; default kvm_make_all_cpus_request). */
  readonly waitConsumer?: RequesterOptions['waitConsumer'];
  /** When the WAIT consumer publishes the new resource (RequesterOptions.replaceResource; default before the request). */
  readonly replaceResource?: RequesterOptions['replaceResource'];
}

export const vcpuName = (v: number): string => `vcpu${v}`;
export const requesterName = (r: number): string => `requester${r}`;

export function createKvmMachine(options: KvmModelOptions): AnyStateMachine {
  const { vcpus, requesters } = options;
  const V = Array.from({ length: vcpus }, (_, v) => v);
  const R = Array.from({ length: requesters }, (_, r) => r);
  const vcpuOptions = {
    finalCheck: options.finalCheck ?? 'kernel',
    ...(options.fastpath ? { fastpath: options.fastpath } : {}),
    ...(options.walkTakesMmuLock ? { walkTakesMmuLock: true } : {}),
    ...(options.modeStoreMb === false ? { modeStoreMb: false } : {}),
    handledRequests: options.handledRequests ?? KVM_REQ_TLB_FLUSH | KVM_REQ_EVENT,
  };
  const locking = options.walkTakesMmuLock === true;
  const requesterOptions: RequesterOptions = {
    vcpus,
    waitRequestMask: options.waitRequestMask,
    kickMask: options.kickMask ?? KVM_VCPU_KICK_MASK,
    mmuLock: locking,
    waitConsumer: options.waitConsumer,
    replaceResource: options.replaceResource,
    ...(options.mbBeforeCmpxchg === false ? { mbBeforeCmpxchg: false } : {}),
  };
  const context: KvmContext = {
    mode: V.map(() => OUTSIDE_GUEST_MODE),
    requests: V.map(() => 0),
    model_ipi: R.map(() => V.map(() => IPI_IDLE)),
    model_retired: R.map(() => V.map(() => false)),
    ...(locking ? { model_mmu_lock_requester: R.map(() => false), model_mmu_lock_vcpu: V.map(() => false) } : {}),
  };
  return setup({ types: { context: {} as KvmContext } }).createMachine({
    id: 'kvm',
    type: 'parallel',
    context,
    meta: {
      kvmcheck: {
        groups: { vcpu: V.map(vcpuName), requester: R.map(requesterName) },
        symmetric: ['vcpu', 'requester'],
        // vcpu->mode and vcpu->requests are the Dekker pair of vcpu-requests.rst; model_* is bookkeeping
        shared: ['mode', 'requests'],
        vars: {
          mode: { type: 'int', max: READING_SHADOW_PAGE_TABLES, dims: ['vcpu'], names: MODE_NAMES },
          requests: { type: 'int', max: KVM_REQ_TLB_FLUSH | KVM_REQ_EVENT, dims: ['vcpu'], flags: ['KVM_REQ_TLB_FLUSH', 'KVM_REQ_EVENT'] },
          model_ipi: { type: 'int', max: IPI_STATE_MAX, dims: ['requester', 'vcpu'], names: IPI_STATE_NAMES },
          model_retired: { type: 'bool', dims: ['requester', 'vcpu'] },
          ...(locking
            ? { model_mmu_lock_requester: { type: 'bool', dims: ['requester'] }, model_mmu_lock_vcpu: { type: 'bool', dims: ['vcpu'] } }
            : {}),
        },
      },
    },
    states: {
      ...Object.fromEntries(V.map((v) => [vcpuName(v), vcpuRegion(v, vcpuOptions)])),
      ...Object.fromEntries(R.map((r) => [requesterName(r), requesterRegion(r, requesterOptions)])),
    } as never,
  }) as unknown as AnyStateMachine;
}
