/**
 * The vCPU thread: x86 `vcpu_run()` / `vcpu_enter_guest()` (arch/x86/kvm/x86.c) and the lockless
 * shadow-page walk of arch/x86/kvm/mmu/mmu.c, one atomic step per shared-memory access
 * (reference §4, §4.1, §11.3-§11.4; Documentation/virt/kvm/vcpu-requests.rst "Ensuring Requests
 * Are Seen").
 *
 * Program points (states): OUTSIDE_GUEST_MODE (top of vcpu_enter_guest, requests processed),
 * mmu_loaded (the guest's resource loaded), IN_GUEST_MODE (IRQs off, mode stored, smp_mb done),
 * exit_request_mode_read, cancel_injection, guest, handle_exit (after a VM-exit; a page fault may
 * walk the shadow page tables locklessly), READING_SHADOW_PAGE_TABLES, spte_read.
 * IRQs are on only in OUTSIDE_GUEST_MODE, mmu_loaded and handle_exit. A pending IPI is taken as soon as IRQs
 * are on: there, `ack_kick` is the only enabled step while an IPI is pending. Local IRQ toggles
 * are merged with the adjacent store (only this thread observes them: the acks are its steps).
 */
import type { KvmContext } from './context.ts';
import { mapColumn, mmuLockFree, setAt } from './context.ts';
import {
  EXITING_GUEST_MODE,
  IN_GUEST_MODE,
  IPI_NONE,
  IPI_SENT,
  IPI_SENT_WAIT,
  KVM_REQ_EVENT,
  OUTSIDE_GUEST_MODE,
  READING_SHADOW_PAGE_TABLES,
  REQUEST_NAMES,
} from './kvm_host.ts';
import { type Guard, type RegionConfig, type StateConfig, to, type TransitionConfig, type Update } from './transition.ts';

/** Where the final request check sits relative to `mode = IN_GUEST_MODE`. */
export type FinalCheck =
  /** The kernel: IRQs off, mode = IN_GUEST_MODE, smp_mb(), then kvm_vcpu_exit_request(). */
  | 'kernel'
  /** Pre-2008 shape (reference §10.2): requests checked before the mode store; a mutant. */
  | 'before-mode-store';

/**
 * Host code a spec runs from handle_exit (IRQs on), e.g. a kvm_for_each_vcpu() walk: `entry` steps
 * leave handle_exit for the spec's `states`, whose steps end back in handle_exit. Each of those
 * states takes a pending IPI (ack_kick) like every IRQs-on point, so the spec guards its own steps
 * there with `!ipiPending`.
 */
export interface ExitHandler {
  readonly entry: Readonly<Record<string, TransitionConfig>>;
  readonly states: Readonly<Record<string, StateConfig>>;
}

/**
 * The fastpath re-entry loop of x86 vcpu_enter_guest() (reference §4 step 10, §11.3 V9): an exit
 * handled with EXIT_FASTPATH_REENTER_GUEST re-enters the guest without leaving IN_GUEST_MODE or
 * enabling IRQs.
 */
export type Fastpath =
  /** 2020+: before re-entering, kvm_vcpu_exit_request() is checked again; if true, leave the loop. */
  | 'kernel'
  /** A mutant: re-enter without the check, so a self-kick (no IPI) leaves a request pending in the guest. */
  | 'no-exit-check';

export interface VcpuOptions<C = KvmContext> {
  readonly finalCheck: FinalCheck;
  /** Model the fastpath re-entry loop (default: no fastpath exits). */
  readonly fastpath?: Fastpath;
  /**
   * A mutant: the lockless walk takes kvm->mmu_lock with IRQs off. A freer that holds mmu_lock
   * while it waits for this CPU's IPI ack (kvm_flush_remote_tlbs() under mmu_lock) never gets it:
   * why walk_shadow_page_lockless_begin() only disables IRQs (its comment: "make any free-er wait
   * during kvm_flush_remote_tlbs() IPI").
   */
  readonly walkTakesMmuLock?: boolean;
  /**
   * Whether the mode store of the guest entry is followed by the full barrier the kernel has there
   * (default true: smp_mb() inside srcu_read_unlock(), reference §4 step 6). False is a mutant that
   * only a weak memory model can tell apart: the store may still sit in the store buffer while the
   * vCPU reads vcpu->requests.
   */
  readonly modeStoreMb?: boolean;
  /** Request bits the vCPU has a kvm_check_request() handler for (others are never cleared). */
  readonly handledRequests: number;
  /**
   * What a handler does besides clearing its request bit, by bit: the variables it writes, over
   * the machine's context `C` (e.g. reloading a pointer the requester published).
   */
  readonly requestHandlers?: Readonly<Record<number, Update<C>>>;
  /** Whether kvm_mmu_reload() and the lockless walk load the retireable resource, context.model_retired (default true). */
  readonly mmuResource?: boolean;
  readonly exitHandler?: ExitHandler;
  /**
   * Ways out of KVM_RUN at the top of the loop, by step name (e.g. the kick-all proposal's
   * kvm_test_request(KVM_REQ_USERSPACE_KICK) -> -EINTR): while a guard holds, the vCPU does not
   * go on into the guest; the step returns to userspace, `target` (a state the spec adds).
   */
  readonly exitToUserspace?: Readonly<Record<string, { readonly guard: Guard<C>; readonly target: string }>>;
}

export function ipiPending(ctx: Pick<KvmContext, 'model_ipi'>, v: number): boolean {
  return ctx.model_ipi.some((row) => row[v] === IPI_SENT || row[v] === IPI_SENT_WAIT);
}

/**
 * ack_kick(): the IPI callback runs once IRQs are on; every pending IPI to vCPU v's CPU is acked
 * (also where a spec's vCPU thread is outside KVM_RUN: whatever runs on that CPU takes it).
 */
export function ackKickStep(v: number): TransitionConfig {
  return to(undefined, {
    guard: ({ context }) => ipiPending(context, v),
    update: ({ context }) => ({
      model_ipi: mapColumn(context.model_ipi, v, (x) => (x === IPI_SENT || x === IPI_SENT_WAIT ? IPI_NONE : x)),
    }),
  });
}

/** The vCPU thread `vcpu<v>` as an XState region. */
export function vcpuRegion<C = KvmContext>(v: number, options: VcpuOptions<C>): RegionConfig {
  const ev = (name: string): string => `vcpu${v}.${name}`;
  const noIpi: Guard = ({ context }) => !ipiPending(context, v);
  const setMode = (mode: number) => ({ context }: { context: KvmContext }) => ({ mode: setAt(context.mode, v, mode) });

  const ackKick = ackKickStep(v);

  // kvm_check_request(): test_bit + clear_bit by the vCPU thread, one step per handled request.
  const checkRequests: Record<string, TransitionConfig> = {};
  for (const bit of Object.keys(REQUEST_NAMES).map(Number)) {
    if ((options.handledRequests & bit) === 0) continue;
    const handler = options.requestHandlers?.[bit];
    checkRequests[ev(`kvm_check_request(${REQUEST_NAMES[bit]})`)] = to(undefined, {
      // clear_bit() then smp_mb__after_atomic()
      access: 'fence',
      guard: ({ context }) => (context.requests[v]! & bit) !== 0 && !ipiPending(context, v),
      update: ({ context }) => ({
        ...handler?.({ context: context as unknown as C }),
        requests: setAt(context.requests, v, context.requests[v]! & ~bit),
      }),
    });
  }
  const noHandledRequest: Guard = ({ context }) => (context.requests[v]! & options.handledRequests) === 0;

  // IRQs off; smp_store_release(&vcpu->mode, IN_GUEST_MODE); smp_mb__after_srcu_read_unlock().
  const enterGuestMode = (target: string): TransitionConfig =>
    to(target, { guard: noIpi, update: setMode(IN_GUEST_MODE), access: options.modeStoreMb === false ? 'store' : 'fence' });
  // vcpu->mode = OUTSIDE_GUEST_MODE; smp_wmb(); local_irq_enable()
  const outside = to('OUTSIDE_GUEST_MODE', { update: setMode(OUTSIDE_GUEST_MODE), access: 'store' });
  const modeIsExiting: Guard = ({ context }) => context.mode[v] === EXITING_GUEST_MODE;
  const requestPending: Guard = ({ context }) => context.requests[v] !== 0;
  const kernelOrder = options.finalCheck === 'kernel';
  // the vCPU now uses the current resource: nothing it held before is retired any more
  const loadResource = options.mmuResource === false ? {} : { update: ({ context }: { context: KvmContext }) => ({ model_retired: mapColumn(context.model_retired, v, () => false) }) };
  const exitHandler = options.exitHandler ?? { entry: {}, states: {} };
  const exits = Object.entries(options.exitToUserspace ?? {}).map(([name, { guard, target }]) => ({ name, target, guard: guard as unknown as Guard }));
  const leaving: Guard = (a) => exits.some((e) => e.guard(a));
  const vmExit = to('handle_exit', { update: setMode(OUTSIDE_GUEST_MODE), access: 'store' });
  const setWalkLock = (held: boolean): Update => ({ context }) => ({ model_mmu_lock_vcpu: setAt(context.model_mmu_lock_vcpu!, v, held) });
  // The fastpath runs with IRQs off and mode still IN_GUEST_MODE (or EXITING_GUEST_MODE). Its
  // handler may send the vCPU an interrupt (e.g. handle_fastpath_set_msr_irqoff() writing the
  // x2APIC ICR with itself as destination): kvm_make_request(KVM_REQ_EVENT) and a self-kick, which
  // in kvm_vcpu_kick() is a plain IN_GUEST_MODE -> EXITING_GUEST_MODE write and no IPI.
  const fastpathHandler: StateConfig = {
    on: {
      [ev('handle_fastpath(self-IPI):kvm_make_request(KVM_REQ_EVENT)')]: to('fastpath_self_kick', {
        access: 'set_bit',
        bits: KVM_REQ_EVENT,
        update: ({ context }) => ({ requests: setAt(context.requests, v, context.requests[v]! | KVM_REQ_EVENT) }),
      }),
      [ev('handle_fastpath')]: to('fastpath_handled'),
    },
  };
  const selfKick: StateConfig = {
    on: {
      // kvm_vcpu_kick() on its own vCPU: a plain store (reference §11.2 K3)
      [ev('kvm_vcpu_kick(self)')]: to('fastpath_handled', {
        access: 'store',
        update: ({ context }) => ({ mode: context.mode[v] === IN_GUEST_MODE ? setAt(context.mode, v, EXITING_GUEST_MODE) : (context.mode as number[]) }),
      }),
    },
  };
  const fastpathStates: Record<string, StateConfig> =
    options.fastpath === undefined
      ? {}
      : {
          fastpath: fastpathHandler,
          fastpath_self_kick: selfKick,
          ...(options.fastpath === 'kernel'
            ? {
                fastpath_handled: {
                  on: {
                    // if (unlikely(kvm_vcpu_exit_request(vcpu))) break; -- then the ordinary exit path
                    [ev('kvm_vcpu_exit_request(mode)')]: [to('fastpath_break', { guard: modeIsExiting }), to('fastpath_mode_read')],
                  },
                },
                fastpath_mode_read: {
                  on: { [ev('kvm_vcpu_exit_request(requests)')]: [to('fastpath_break', { guard: requestPending }), to('guest')] },
                },
                fastpath_break: { on: { [ev('vcpu_enter_guest(vm_exit)')]: vmExit } },
              }
            : { fastpath_handled: { on: { [ev('vcpu_enter_guest(reenter)')]: to('guest') } } }),
        };

  return {
    initial: 'OUTSIDE_GUEST_MODE',
    states: {
      OUTSIDE_GUEST_MODE: {
        on: {
          [ev('ack_kick')]: ackKick,
          ...checkRequests,
          // kvm_mmu_reload(): load the resource the guest will use (clears what it held before).
          [ev('kvm_mmu_reload')]: to('mmu_loaded', { guard: (a) => noIpi(a) && noHandledRequest(a) && !leaving(a), ...loadResource }),
          ...Object.fromEntries(exits.map((e) => [ev(e.name), to(e.target, { guard: (a) => noIpi(a) && e.guard(a) })])),
        },
      },
      mmu_loaded: {
        on: {
          [ev('ack_kick')]: ackKick,
          ...(kernelOrder
            ? { [ev('vcpu_enter_guest(IN_GUEST_MODE)')]: enterGuestMode('IN_GUEST_MODE') }
            : {
                // the mutant reads vcpu->requests before publishing IN_GUEST_MODE
                [ev('kvm_request_pending')]: [
                  to('OUTSIDE_GUEST_MODE', { guard: (a) => noIpi(a) && requestPending(a) }),
                  to('requests_checked', { guard: noIpi }),
                ],
              }),
        },
      },
      ...(kernelOrder ? {} : { requests_checked: { on: { [ev('ack_kick')]: ackKick, [ev('vcpu_enter_guest(IN_GUEST_MODE)')]: enterGuestMode('IN_GUEST_MODE') } } }),
      IN_GUEST_MODE: {
        on: {
          // kvm_vcpu_exit_request(): READ_ONCE(vcpu->mode) == EXITING_GUEST_MODE || kvm_request_pending()
          [ev('kvm_vcpu_exit_request(mode)')]: [
            to('cancel_injection', { guard: modeIsExiting }),
            to(kernelOrder ? 'exit_request_mode_read' : 'guest'),
          ],
        },
      },
      exit_request_mode_read: {
        on: {
          [ev('kvm_vcpu_exit_request(requests)')]: [to('cancel_injection', { guard: requestPending }), to('guest')],
        },
      },
      cancel_injection: { on: { [ev('vcpu_enter_guest(cancel_injection)')]: outside } },
      // VM-exit (an IPI or any other reason), then vcpu->mode = OUTSIDE_GUEST_MODE; smp_wmb(); IRQs on.
      guest: {
        on: {
          [ev('vcpu_enter_guest(vm_exit)')]: vmExit,
          // an exit the fastpath handles is not the IPI's: a pending IPI forces an ordinary exit
          ...(options.fastpath ? { [ev('vcpu_enter_guest(fastpath_exit)')]: to('fastpath', { guard: noIpi }) } : {}),
        },
      },
      ...fastpathStates,
      // vmx_handle_exit(): IRQs on; a page fault may take the lockless shadow-page walk
      handle_exit: {
        on: {
          [ev('ack_kick')]: ackKick,
          // walk_shadow_page_lockless_begin(): local_irq_disable(); smp_store_mb(mode, READING_SHADOW_PAGE_TABLES)
          [ev('walk_shadow_page_lockless_begin')]: to('READING_SHADOW_PAGE_TABLES', {
            access: 'fence',
            guard: noIpi,
            update: setMode(READING_SHADOW_PAGE_TABLES),
          }),
          // back to the top of the vcpu_run() loop
          [ev('vcpu_run')]: to('OUTSIDE_GUEST_MODE', { guard: noIpi }),
          ...exitHandler.entry,
        },
      },
      ...Object.fromEntries(Object.entries(exitHandler.states).map(([name, state]) => [name, { on: { [ev('ack_kick')]: ackKick, ...state.on } }])),
      ...(options.walkTakesMmuLock
        ? {
            // spin_lock(): try to take the lock; on contention cpu_relax() and retry, IRQs still off
            READING_SHADOW_PAGE_TABLES: {
              on: {
                [ev('spin_lock(mmu_lock)')]: [
                  to('walk_mmu_locked', { guard: ({ context }) => mmuLockFree(context), update: setWalkLock(true) }),
                  to('walk_mmu_lock_spin'),
                ],
              },
            },
            walk_mmu_lock_spin: { on: { [ev('cpu_relax')]: to('READING_SHADOW_PAGE_TABLES') } },
            walk_mmu_locked: { on: { [ev('walk_shadow_page_lockless(read_spte)')]: to('spte_read', loadResource) } },
            spte_read: { on: { [ev('spin_unlock(mmu_lock)')]: to('walk_mmu_unlocked', { update: setWalkLock(false) }) } },
            walk_mmu_unlocked: { on: { [ev('walk_shadow_page_lockless_end')]: outside } },
          }
        : {
            READING_SHADOW_PAGE_TABLES: {
              // the walk dereferences the current root (the resource); it must not be freed under it
              on: { [ev('walk_shadow_page_lockless(read_spte)')]: to('spte_read', loadResource) },
            },
            // walk_shadow_page_lockless_end(): smp_store_release(&vcpu->mode, OUTSIDE_GUEST_MODE); local_irq_enable()
            spte_read: { on: { [ev('walk_shadow_page_lockless_end')]: outside } },
          }),
    },
  };
}
