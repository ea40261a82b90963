/**
 * A vCPU thread of the kick-all model (seeds/003): QEMU's vCPU thread in userspace, and its vCPU
 * ioctls (virt/kvm/kvm_main.c kvm_vcpu_ioctl()). KVM_RUN, as in "KVM: introduce memory
 * transaction semaphore": down_read(&memory_transaction); kvm_arch_vcpu_ioctl_run(vcpu);
 * up_read(&memory_transaction). Inside, the vcpu_enter_guest() loop of vcpu_enter_guest.ts, left
 * at its top (-EINTR) when KVM_REQ_USERSPACE_KICK is pending ("KVM: use signals to abort
 * enter_guest/blocking and retry": vcpu_enter_guest() tests it before any other request) or, in
 * the signal variants, when a signal is pending (vcpu_run(): xfer_to_guest_mode work ->
 * kvm_handle_signal_exit()); vm0's vCPUs may fault on the postcopy page (hva_to_pfn.ts).
 *
 * Userspace, in the signal variants, is QEMU's: the main thread sets cpu->stop and sends SIG_IPI
 * (qemu_cpu_kick()); once the vCPU thread has taken the signal it does not call KVM_RUN again until
 * resume_all_vcpus() clears cpu->stop. Without signals the thread calls KVM_RUN again at once
 * (the proposal's KVM_RUN then returns -EINTR while the request is set).
 *
 * Not modelled: kvm_vcpu_block() (halted vCPUs; the proposal also woke them), and exits to
 * userspace for other reasons (they only add ways out of KVM_RUN).
 */
import { setAt } from './context.ts';
import { KVM_REQ_USERSPACE_KICK } from './kvm_host.ts';
import { postcopyFault } from './hva_to_pfn.ts';
import type { KickAllContext } from './kick_all.ts';
import { canDownRead, downRead, upRead } from './rw_semaphore.ts';
import { type Guard, type RegionConfig, type StateConfig, to, type TransitionConfig } from './transition.ts';
import { ackKickStep, ipiPending, vcpuRegion } from './vcpu_enter_guest.ts';

/** A vCPU ioctl other than KVM_RUN that reads guest memory through the memslots (Sean: "it's not just KVM_RUN"). */
export type OtherIoctl =
  | 'none'
  /** as in the proposal: no down_read() around it */
  | 'unlocked'
  /** every vCPU ioctl takes the read side */
  | 'read-locked';

export interface VcpuThreadOptions {
  /** The memory_transaction semaphore this vCPU's VM uses. */
  readonly rwsem: number;
  /** Userspace stops the thread with SIG_IPI (QEMU's cpu->stop + qemu_cpu_kick()). */
  readonly signal: boolean;
  /** The thread may fault on vm0's postcopy page; with FOLL_INTERRUPTIBLE if `interruptible`. */
  readonly postcopy: { readonly interruptible: boolean } | null;
  readonly otherIoctl: OtherIoctl;
}

const USERSPACE = 'userspace';
const UP_READ = 'up_read';
/** The state of the other ioctl where it has guest memory mapped. */
const KVM_VCPU_MAP = 'kvm_vcpu_map';

/** The vCPU thread `vcpu<v>` as an XState region. */
export function vcpuThread(v: number, options: VcpuThreadOptions): RegionConfig {
  const ev = (name: string): string => `vcpu${v}.${name}`;
  const s = options.rwsem;
  const kickPending: Guard<KickAllContext> = ({ context }) => (context.requests[v]! & KVM_REQ_USERSPACE_KICK) !== 0;
  const signalPending: Guard<KickAllContext> = ({ context }) => context.model_sigpending?.[v] === true;
  // outside KVM_RUN IRQs are on: a pending IPI to the vCPU's CPU is taken first (ack_kick)
  const noIpi: Guard<KickAllContext> = ({ context }) => !ipiPending(context, v);
  // QEMU's vCPU loop: after the signal, wait while cpu->stop (qemu_wait_io_event())
  const running: Guard<KickAllContext> = (a) => noIpi(a) && (!options.signal || (!signalPending(a) && !a.context.stop![v]));
  const run = vcpuRegion<KickAllContext>(v, {
    finalCheck: 'kernel',
    handledRequests: 0,
    mmuResource: false,
    ...(options.postcopy ? { exitHandler: postcopyFault(v, { interruptible: options.postcopy.interruptible, exitTarget: UP_READ }) } : {}),
    exitToUserspace: {
      'kvm_test_request(KVM_REQ_USERSPACE_KICK)': { guard: kickPending, target: UP_READ },
      ...(options.signal ? { kvm_handle_signal_exit: { guard: signalPending, target: UP_READ } } : {}),
    },
  });

  const ackKick = { [ev('ack_kick')]: ackKickStep(v) };
  const userspace: Record<string, TransitionConfig> = {
    ...ackKick,
    // QEMU's SIG_IPI handler runs as the thread returns to userspace (the signal is no longer pending)
    ...(options.signal
      ? {
          [ev('SIG_IPI')]: to<KickAllContext>(undefined, {
            guard: (a) => noIpi(a) && signalPending(a),
            update: ({ context }) => ({ model_sigpending: setAt(context.model_sigpending!, v, false) }),
          }),
        }
      : {}),
    [ev('ioctl(KVM_RUN):down_read')]: to<KickAllContext>(run.initial, {
      guard: (a) => running(a) && canDownRead(a.context, s),
      update: ({ context }) => downRead(context, s),
    }),
  };
  const states: Record<string, StateConfig> = {};
  if (options.otherIoctl !== 'none') {
    const locked = options.otherIoctl === 'read-locked';
    // KVM_SET_NESTED_STATE: nested_get_vmcs12_pages() -> kvm_vcpu_map() of the APIC pages (memslots)
    userspace[ev('ioctl(KVM_SET_NESTED_STATE)')] = to<KickAllContext>(KVM_VCPU_MAP, {
      guard: (a) => running(a) && (!locked || canDownRead(a.context, s)),
      ...(locked ? { update: ({ context }) => downRead(context, s) } : {}),
    });
    states[KVM_VCPU_MAP] = {
      on: { ...ackKick, [ev('kvm_vcpu_unmap')]: to<KickAllContext>(USERSPACE, { guard: noIpi, ...(locked ? { update: ({ context }) => upRead(context, s) } : {}) }) },
    };
  }
  states[UP_READ] = {
    on: { ...ackKick, [ev('up_read(memory_transaction)')]: to<KickAllContext>(USERSPACE, { guard: noIpi, update: ({ context }) => upRead(context, s) }) },
  };
  return { initial: USERSPACE, states: { [USERSPACE]: { on: userspace }, ...states, ...run.states } };
}

/** Program points where the vCPU thread uses the VM's memslots: inside KVM_RUN, or with guest memory mapped. */
export function usesMemslots(pc: string): boolean {
  return pc !== USERSPACE && pc !== UP_READ;
}
