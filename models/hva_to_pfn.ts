/**
 * A vCPU's page fault on vm0's postcopy page, from the VM-exit handler (reference §9.3):
 * kvm_mmu_page_fault() -> kvm_faultin_pfn() -> __gfn_to_pfn_memslot() -> hva_to_pfn() ->
 * get_user_pages_unlocked(), which for a missing page sleeps in handle_userfault() until
 * UFFDIO_COPY (userfaultfd.ts) wakes it.
 *
 * Before v6.2 that sleep honoured only fatal signals: a vCPU whose page never comes has no step
 * at all (it is stuck, outside KVM's request loop, holding KVM_RUN's read side). With Peter Xu's
 * series (FOLL_INTERRUPTIBLE, "kvm: Add KVM_PFN_ERR_SIGPENDING", "kvm: x86: Allow to respond to
 * generic signals during slow PF") a pending signal ends the sleep: kvm_handle_error_pfn() ->
 * kvm_handle_signal_exit(), -EINTR out of KVM_RUN; the fault is retried on the next KVM_RUN.
 */
import type { KickAllContext } from './kick_all.ts';
import { type Guard, to } from './transition.ts';
import { type ExitHandler, ipiPending } from './vcpu_enter_guest.ts';

export interface PostcopyFaultOptions {
  /** GUP with FOLL_INTERRUPTIBLE (v6.2+): a pending signal ends the wait. */
  readonly interruptible: boolean;
  /** The vCPU thread's state after -EINTR leaves KVM_RUN. */
  readonly exitTarget: string;
}

export function postcopyFault(v: number, options: PostcopyFaultOptions): ExitHandler {
  const ev = (name: string): string => `vcpu${v}.${name}`;
  const noIpi: Guard<KickAllContext> = ({ context }) => !ipiPending(context, v);
  const present: Guard<KickAllContext> = (a) => noIpi(a) && a.context.model_page_present;
  const signalPending: Guard<KickAllContext> = (a) => noIpi(a) && a.context.model_sigpending?.[v] === true;
  // the fault is fixed: vcpu_enter_guest() returns 1 and vcpu_run() goes round its loop again
  const fixed = 'OUTSIDE_GUEST_MODE';
  return {
    entry: { [ev('kvm_mmu_page_fault')]: to<KickAllContext>('hva_to_pfn', { guard: noIpi }) },
    states: {
      hva_to_pfn: {
        on: {
          [ev('get_user_pages_unlocked')]: [to<KickAllContext>(fixed, { guard: present }), to<KickAllContext>('handle_userfault', { guard: noIpi })],
        },
      },
      handle_userfault: {
        on: {
          [ev('handle_userfault(woken)')]: to<KickAllContext>(fixed, { guard: present }),
          ...(options.interruptible ? { [ev('KVM_PFN_ERR_SIGPENDING')]: to<KickAllContext>(options.exitTarget, { guard: signalPending }) } : {}),
        },
      },
    },
  };
}
