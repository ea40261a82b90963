/**
 * KVM_KICK_ALL_RUNNING_VCPUS / KVM_RESUME_ALL_KICKED_VCPUS (seeds/003, reference §9) as one XState
 * machine: vm0's vCPU threads (kvm_vcpu_ioctl.ts), R memslot-update threads of vm0
 * (kvm_kick_all_running_vcpus.ts), the postcopy page source (userfaultfd.ts), and optionally one
 * vCPU of a second VM that shares nothing with vm0 but, in v1, the global memory_transaction
 * rwsem (`DECLARE_RWSEM(memory_transaction)` in kvm_main.c; Paolo: it must be per VM).
 *
 * Fairness: weak, per thread (the engine's). A vCPU in the guest always eventually exits
 * (vcpu_enter_guest(vm_exit) is enabled there), an IPI is eventually acknowledged, a vCPU blocked
 * in down_read() or in an uninterruptible handle_userfault() has no step at all, and the page
 * source may lose the network for good (userfaultfd.ts says how that is kept out of fairness).
 */
import { type AnyStateMachine, setup } from 'xstate';
import type { KvmContext } from './context.ts';
import { IPI_IDLE, IPI_NONE, IPI_STATE_MAX, IPI_STATE_NAMES, KVM_REQ_USERSPACE_KICK, MODE_NAMES, OUTSIDE_GUEST_MODE, READING_SHADOW_PAGE_TABLES, REQUEST_NAMES } from './kvm_host.ts';
import { kickerRegion, requesterName } from './kvm_kick_all_running_vcpus.ts';
import { type OtherIoctl, vcpuThread } from './kvm_vcpu_ioctl.ts';
import { RWSEM_NO_WRITER, RWSEM_WRITER_LOCKED, RWSEM_WRITER_NAMES, type RwSemaphores } from './rw_semaphore.ts';
import { POSTCOPY, postcopyRegion } from './userfaultfd.ts';

export interface KickAllContext extends Omit<KvmContext, 'model_retired'>, RwSemaphores {
  /** The postcopy page vm0's vCPUs fault on has arrived. */
  readonly model_page_present: boolean;
  /** Signal variants: SIG_IPI is pending on vCPU thread v (signal_pending()). */
  readonly model_sigpending?: readonly boolean[];
  /** Signal variants: QEMU's cpu->stop of vCPU v. */
  readonly stop?: readonly boolean[];
  /** QEMU's BQL, which serializes the memslot-update threads. */
  readonly qemu_global_mutex: boolean;
}

export interface KickAllModelOptions {
  /** vm0's vCPUs. */
  readonly vcpus: number;
  /** vm0's memslot-update threads. */
  readonly kickers: number;
  /** Userspace stops vm0's vCPU threads with SIG_IPI around the kick. */
  readonly signal: boolean;
  /** GUP honours non-fatal signals (FOLL_INTERRUPTIBLE, KVM_PFN_ERR_SIGPENDING; v6.2+). */
  readonly interruptibleFault: boolean;
  /** A second VM with one vCPU (`vcpu<vcpus>`), whose rwsem is vm0's ('global') or its own ('per-vm'). */
  readonly secondVm: 'none' | 'global' | 'per-vm';
  readonly otherIoctl: OtherIoctl;
}

export const vcpuName = (v: number): string => `vcpu${v}`;
/** The VM of vCPU thread v. */
const vmOf = (options: KickAllModelOptions, v: number): number => (v < options.vcpus ? 0 : 1);

export function createKickAllMachine(options: KickAllModelOptions): AnyStateMachine {
  const { vcpus, kickers, signal } = options;
  const total = vcpus + (options.secondVm === 'none' ? 0 : 1);
  const V = Array.from({ length: total }, (_, v) => v);
  const R = Array.from({ length: kickers }, (_, r) => r);
  const rwsems = options.secondVm === 'per-vm' ? ['vm0', 'vm1'] : options.secondVm === 'global' ? ['global'] : ['vm0'];
  const rwsemOf = (v: number): number => (options.secondVm === 'per-vm' ? vmOf(options, v) : 0);
  const context: KickAllContext = {
    mode: V.map(() => OUTSIDE_GUEST_MODE),
    requests: V.map(() => 0),
    // vm0's kickers never visit another VM's vCPU (it is not in kvm->vcpus): nothing to decide there
    model_ipi: R.map(() => V.map((v) => (v < vcpus ? IPI_IDLE : IPI_NONE))),
    memory_transaction_readers: rwsems.map(() => 0),
    memory_transaction_writer: rwsems.map(() => RWSEM_NO_WRITER),
    model_page_present: false,
    ...(signal ? { model_sigpending: V.map(() => false), stop: V.map(() => false) } : {}),
    qemu_global_mutex: false,
  };
  return setup({ types: { context: {} as KickAllContext } }).createMachine({
    id: 'kick_all',
    type: 'parallel',
    context,
    meta: {
      kvmcheck: {
        groups: { vcpu: V.map(vcpuName), requester: R.map(requesterName), rwsem: rwsems },
        vars: {
          mode: { type: 'int', max: READING_SHADOW_PAGE_TABLES, dims: ['vcpu'], names: MODE_NAMES },
          requests: { type: 'int', max: KVM_REQ_USERSPACE_KICK, dims: ['vcpu'], flags: Object.values(REQUEST_NAMES) },
          model_ipi: { type: 'int', max: IPI_STATE_MAX, dims: ['requester', 'vcpu'], names: IPI_STATE_NAMES },
          memory_transaction_readers: { type: 'int', max: total, dims: ['rwsem'] },
          memory_transaction_writer: { type: 'int', max: RWSEM_WRITER_LOCKED, dims: ['rwsem'], names: RWSEM_WRITER_NAMES },
          model_page_present: { type: 'bool' },
          ...(signal ? { model_sigpending: { type: 'bool', dims: ['vcpu'] }, stop: { type: 'bool', dims: ['vcpu'] } } : {}),
          qemu_global_mutex: { type: 'bool' },
        },
      },
    },
    states: {
      ...Object.fromEntries(
        V.map((v) => [
          vcpuName(v),
          vcpuThread(v, {
            rwsem: rwsemOf(v),
            // vm0's QEMU signals only its own vCPUs; only vm0 is being migrated
            signal: signal && v < vcpus,
            postcopy: v < vcpus ? { interruptible: options.interruptibleFault } : null,
            otherIoctl: v < vcpus ? options.otherIoctl : 'none',
          }),
        ]),
      ),
      ...Object.fromEntries(R.map((r) => [requesterName(r), kickerRegion(r, { vcpus, rwsem: 0, signal })])),
      [POSTCOPY]: postcopyRegion(),
    } as never,
  }) as unknown as AnyStateMachine;
}
