/**
 * A requester thread (model-invented: one thread of host code that talks to the vCPUs). Its first
 * step picks what it does, so that R requesters cover every mix of the two kernel paths:
 *
 * - `kvm_vcpu_kick` path: kvm_make_request(KVM_REQ_EVENT, vcpu) on any one vCPU, then
 *   kvm_vcpu_kick(): cmpxchg IN_GUEST_MODE -> EXITING_GUEST_MODE, and an IPI only if it won; never
 *   waits (virt/kvm/kvm_main.c, reference §3.6).
 * - the WAIT consumer: replace the resource the guest uses (publish the new one), then
 *   kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH) — for each vCPU: set the request bit, barrier +
 *   cmpxchg, decide the IPI with the request's mask; one batched IPI; wait for the acks of the
 *   CPUs it waits for — then free the old resource (reference §3.4, §11.1).
 *
 * The kernel's kvm_for_each_vcpu() visits vCPUs in index order; the model visits them in any
 * order, one at a time (a superset of the kernel's schedules, and symmetric in the vCPUs).
 */
import type { KvmContext } from './context.ts';
import { mapColumn, mapRow, mmuLockFree, setAt, setAt2 } from './context.ts';
import {
  IN_GUEST_MODE,
  EXITING_GUEST_MODE,
  IPI_IDLE,
  IPI_MASKED,
  IPI_MASKED_WAIT,
  IPI_NONE,
  IPI_REQUEST_SET,
  IPI_SENT,
  IPI_SENT_WAIT,
  KVM_REQ_EVENT,
  KVM_REQ_TLB_FLUSH,
  REQUEST_NAMES,
} from './kvm_host.ts';
import { includesMode, type RequestMask } from './kvm_request_needs_ipi.ts';
import { type Guard, type RegionConfig, type StateConfig, to, type TransitionConfig, type Update } from './transition.ts';

export interface RequesterOptions {
  readonly vcpus: number;
  /** The kick/wait mask of the WAIT request (KVM_REQ_TLB_FLUSH). */
  readonly waitRequestMask: RequestMask;
  /** The mask of kvm_vcpu_kick(). */
  readonly kickMask: RequestMask;
  /** The WAIT consumer holds kvm->mmu_lock from before the replacement until after the free (as a zap does). */
  readonly mmuLock?: boolean;
  /**
   * How the WAIT consumer makes its request of every vCPU: 'kvm_make_all_cpus_request' (default),
   * or 'kvm_vcpu_kick': one vCPU after the other, kvm_make_request() then __kvm_vcpu_kick(vcpu,
   * wait) with `waitRequestMask` as the IPI/wait rule on the old mode — the SEV-SNP AP-destroy
   * shape (reference §10.1), where KVM_VCPU_KICK_MASK is kvm_vcpu_kick() before 2025 (never waits).
   */
  readonly waitConsumer?: 'kvm_make_all_cpus_request' | 'kvm_vcpu_kick';
  /**
   * When the WAIT consumer publishes the new resource: 'before-request' (default), or
   * 'after-request': once the request has been made and waited for — the request announces a
   * change that is not final yet (reference §10.7, the APIC-access page invalidation race).
   */
  readonly replaceResource?: 'before-request' | 'after-request';
  /** False: the no-mb-exiting-guest-mode mutant (RequestOptions.mbBeforeCmpxchg). */
  readonly mbBeforeCmpxchg?: boolean;
}

/** The vCPU requester r is working on (its request bit set, cmpxchg not yet done), or -1. */
function current(ctx: KvmContext, r: number): number {
  return ctx.model_ipi[r]!.indexOf(IPI_REQUEST_SET);
}

/**
 * kvm_vcpu_exiting_guest_mode(): smp_mb__before_atomic(); cmpxchg(&vcpu->mode, IN_GUEST_MODE,
 * EXITING_GUEST_MODE); then the IPI decision of `mask` on the old mode.
 */
function exitingGuestMode(r: number, mask: RequestMask): Update {
  return ({ context }) => {
    const v = current(context, r);
    const old = context.mode[v]!;
    const decision = !includesMode(mask.ipi, old) ? IPI_NONE : includesMode(mask.wait, old) ? IPI_MASKED_WAIT : IPI_MASKED;
    return {
      mode: old === IN_GUEST_MODE ? setAt(context.mode, v, EXITING_GUEST_MODE) : (context.mode as number[]),
      model_ipi: setAt2(context.model_ipi, r, v, decision),
    };
  };
}

/** Sends the IPIs requester r decided on (smp_call_function_many / smp_send_reschedule). */
const sendIpis = (r: number): Update => ({ context }) => ({
  model_ipi: mapRow(context.model_ipi, r, (x) => (x === IPI_MASKED ? IPI_SENT : x === IPI_MASKED_WAIT ? IPI_SENT_WAIT : x)),
});

/** kvm_make_request(): smp_wmb(); set_bit(req, &vcpu->requests). */
const makeRequest = (r: number, v: number, bit: number): Update => ({ context }) => ({
  requests: setAt(context.requests, v, context.requests[v]! | bit),
  model_ipi: setAt2(context.model_ipi, r, v, IPI_REQUEST_SET),
});

/** The kvm_make_request() step: its update and its access (set_bit, ordering nothing on arm64). */
const kvmMakeRequest = (r: number, v: number, bit: number) => ({ update: makeRequest(r, v, bit), access: 'set_bit' as const, bits: bit });

/**
 * The access of kvm_vcpu_exiting_guest_mode(): smp_mb__before_atomic() then cmpxchg(), or the
 * no-mb-exiting-guest-mode mutant's bare cmpxchg (which a failed cmpxchg leaves unordered on arm64).
 */
const exitingAccess = (req: Pick<RequestOptions, 'mbBeforeCmpxchg'>): 'fence' | 'cmpxchg' => (req.mbBeforeCmpxchg === false ? 'cmpxchg' : 'fence');

/** kvm_make_all_cpus_request(kvm, req) / kvm_vcpu_kick(): which request, with which IPI rule. */
export interface RequestOptions {
  readonly vcpus: number;
  /** The request bit set in vcpu->requests. */
  readonly request: number;
  /** kvm_request_needs_ipi() (or kvm_vcpu_kick()'s rule) as a kick/wait mask. */
  readonly mask: RequestMask;
  /**
   * Whether vCPU v is online (kvm_for_each_vcpu() and kvm_get_vcpu() only see vCPUs below
   * online_vcpus). When given, kvm_make_all_cpus_request() skips a vCPU it finds offline and a
   * kick only targets online vCPUs; by default every vCPU is online.
   */
  readonly online?: (context: KvmContext, v: number) => boolean;
  /** False: the no-mb-exiting-guest-mode mutant (no smp_mb__before_atomic() before the cmpxchg). */
  readonly mbBeforeCmpxchg?: boolean;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, v) => v);

/** smp_call_function_many(..., wait) has returned: no IPI that requester r waits for is still unacknowledged. */
export const ipisAcked =
  (r: number) =>
  ({ context }: { context: Pick<KvmContext, 'model_ipi'> }): boolean =>
    !context.model_ipi[r]!.includes(IPI_SENT_WAIT);

/**
 * The steps of kvm_make_all_cpus_request() by `thread` (row r of model_ipi), all taken in one
 * state: for each vCPU, set the request bit, then cmpxchg and decide its IPI; then
 * kvm_kick_many_cpus() sends the IPIs and goes to `target`.
 */
export function kvmMakeAllCpusRequest(thread: string, r: number, req: RequestOptions, target: string): Record<string, TransitionConfig> {
  const ev = (name: string): string => `${thread}.${name}`;
  const idle: Guard = ({ context }) => current(context, r) < 0;
  const unvisited = (context: KvmContext, v: number): boolean => current(context, r) < 0 && context.model_ipi[r]![v] === IPI_IDLE;
  const decided = (x: number): boolean => x !== IPI_IDLE && x !== IPI_REQUEST_SET;
  const { online } = req;
  return {
    ...Object.fromEntries(
      range(req.vcpus).map((v) => [
        ev(`kvm_make_request(${REQUEST_NAMES[req.request]}):vcpu${v}`),
        to(undefined, { guard: ({ context }) => unvisited(context, v) && (online?.(context, v) ?? true), ...kvmMakeRequest(r, v, req.request) }),
      ]),
    ),
    ...(online
      ? Object.fromEntries(
          range(req.vcpus).map((v) => [
            // kvm_for_each_vcpu() stops below online_vcpus: a vCPU still being created is not visited
            ev(`kvm_for_each_vcpu(offline):vcpu${v}`),
            to(undefined, {
              guard: ({ context }) => unvisited(context, v) && !online(context, v),
              update: ({ context }) => ({ model_ipi: setAt2(context.model_ipi, r, v, IPI_NONE) }),
            }),
          ]),
        )
      : {}),
    [ev('kvm_vcpu_exiting_guest_mode')]: to(undefined, {
      access: exitingAccess(req),
      guard: (a) => !idle(a),
      update: exitingGuestMode(r, req.mask),
    }),
    // kvm_kick_many_cpus(cpus, wait): one batched smp_call_function_many()
    [ev('kvm_kick_many_cpus')]: to(target, {
      guard: ({ context }) => context.model_ipi[r]!.every(decided),
      update: sendIpis(r),
    }),
  };
}

/**
 * kvm_make_request(req, vcpu) of any one vCPU, then kvm_vcpu_kick() by `thread` (row r of
 * model_ipi): the steps that choose the vCPU (for the thread's first state) and the states they
 * lead to, ending in `done`.
 */
export function kvmVcpuKick(thread: string, r: number, kick: RequestOptions, done: string): { readonly choose: Record<string, TransitionConfig>; readonly states: Record<string, StateConfig> } {
  const ev = (name: string): string => `${thread}.${name}`;
  const { online } = kick;
  return {
    choose: Object.fromEntries(
      range(kick.vcpus).map((v) => [
        ev(`kvm_make_request(${REQUEST_NAMES[kick.request]}):vcpu${v}`),
        to('kvm_vcpu_kick', { ...(online ? { guard: ({ context }: { context: KvmContext }) => online(context, v) } : {}), ...kvmMakeRequest(r, v, kick.request) }),
      ]),
    ),
    states: {
      kvm_vcpu_kick: {
        on: {
          [ev('kvm_vcpu_exiting_guest_mode')]: [
            to('smp_send_reschedule', {
              guard: ({ context }) => includesMode(kick.mask.ipi, context.mode[current(context, r)]!),
              update: exitingGuestMode(r, kick.mask),
              access: exitingAccess(kick),
            }),
            to(done, { update: exitingGuestMode(r, kick.mask), access: exitingAccess(kick) }),
          ],
        },
      },
      smp_send_reschedule: { on: { [ev('smp_send_reschedule')]: to(done, { update: sendIpis(r) }) } },
    },
  };
}

/**
 * The WAIT consumer's request as kvm_make_request() + __kvm_vcpu_kick(vcpu, wait) of one vCPU
 * after the other (kvm_make_request_and_kick(), 2025; before it, kvm_vcpu_kick(), which never
 * waits): the cmpxchg decides with `req.mask` on the old mode whether to IPI and whether to wait;
 * an IPI to wait for is smp_call_function_single(cpu, ack_kick, NULL, 1), which returns once
 * acknowledged; one not waited for is smp_send_reschedule(). `finish(guard)` leaves the loop.
 */
function kickEachVcpu(thread: string, r: number, req: RequestOptions, finish: (guard: Guard) => Record<string, TransitionConfig>): Record<string, StateConfig> {
  const ev = (name: string): string => `${thread}.${name}`;
  const send = req.mask.wait === 0 ? 'smp_send_reschedule' : 'smp_call_function_single';
  const acked = ipisAcked(r);
  return {
    kvm_for_each_vcpu: {
      on: {
        ...Object.fromEntries(
          range(req.vcpus).map((v) => [
            ev(`kvm_make_request(${REQUEST_NAMES[req.request]}):vcpu${v}`),
            to('__kvm_vcpu_kick', { guard: (a) => acked(a) && a.context.model_ipi[r]![v] === IPI_IDLE, ...kvmMakeRequest(r, v, req.request) }),
          ]),
        ),
        ...finish((a) => acked(a) && !a.context.model_ipi[r]!.includes(IPI_IDLE)),
      },
    },
    __kvm_vcpu_kick: {
      on: {
        // kvm_arch_vcpu_should_kick(): the cmpxchg IN_GUEST_MODE -> EXITING_GUEST_MODE, and the decision on the old mode
        [ev('kvm_vcpu_exiting_guest_mode')]: [
          to('__kvm_vcpu_kick(should_kick)', {
            guard: ({ context }) => includesMode(req.mask.ipi, context.mode[current(context, r)]!),
            update: exitingGuestMode(r, req.mask),
            access: exitingAccess(req),
          }),
          to('kvm_for_each_vcpu', { update: exitingGuestMode(r, req.mask), access: exitingAccess(req) }),
        ],
      },
    },
    '__kvm_vcpu_kick(should_kick)': { on: { [ev(send)]: to('kvm_for_each_vcpu', { update: sendIpis(r) }) } },
  };
}

export function requesterRegion(r: number, options: RequesterOptions): RegionConfig {
  const thread = `requester${r}`;
  const vcpus = range(options.vcpus);
  const mb = options.mbBeforeCmpxchg === false ? { mbBeforeCmpxchg: false } : {};
  const kick = kvmVcpuKick(thread, r, { vcpus: options.vcpus, request: KVM_REQ_EVENT, mask: options.kickMask, ...mb }, 'done');
  const flush: RequestOptions = { vcpus: options.vcpus, request: KVM_REQ_TLB_FLUSH, mask: options.waitRequestMask, ...mb };

  const setLock = (held: boolean): Update => ({ context }) => ({ model_mmu_lock_requester: setAt(context.model_mmu_lock_requester!, r, held) });
  const locking = options.mmuLock === true;
  const kickEach = options.waitConsumer === 'kvm_vcpu_kick';
  const replaceLate = options.replaceResource === 'after-request';
  const requesting = kickEach ? 'kvm_for_each_vcpu' : 'kvm_make_all_cpus_request';
  // rcu_assign_pointer(root, new): the resource every vCPU holds now is retired by r
  const replaceTo = (target: string, guard?: Guard): Record<string, TransitionConfig> => ({
    [`${thread}.model_replace_resource`]: to(target, {
      ...(guard ? { guard } : {}),
      update: ({ context }) => ({
        model_retired: vcpus.reduce(
          (m, v) => (m.some((row) => row[v]) ? m : mapColumn(m, v, (x, rr) => (rr === r ? true : x))),
          context.model_retired as boolean[][],
        ),
      }),
    }),
  });
  const replace = replaceTo(requesting);
  // the request made, and waited for where it waits: free the old resource (replacing it first when late)
  const finish = (guard: Guard): Record<string, TransitionConfig> =>
    replaceLate ? replaceTo('model_resource_replaced', guard) : { [`${thread}.free_pages(old)`]: to(locking ? 'freed' : 'done', { guard }) };
  // with the late replacement, the WAIT consumer's first step is its first request
  const requestFirst = Object.fromEntries(
    vcpus.map((v) => [
      `${thread}.kvm_make_request(KVM_REQ_TLB_FLUSH):vcpu${v}`,
      to(kickEach ? '__kvm_vcpu_kick' : 'kvm_make_all_cpus_request', { ...kvmMakeRequest(r, v, KVM_REQ_TLB_FLUSH) }),
    ]),
  );
  return {
    initial: 'start',
    states: {
      start: {
        on: {
          ...kick.choose,
          ...(locking
            ? { [`${thread}.spin_lock(mmu_lock)`]: to('mmu_locked', { guard: ({ context }) => mmuLockFree(context), update: setLock(true) }) }
            : replaceLate
              ? requestFirst
              : replace),
        },
      },
      ...(locking ? { mmu_locked: { on: replace } } : {}),
      ...kick.states,
      ...(kickEach
        ? kickEachVcpu(thread, r, flush, finish)
        : {
            kvm_make_all_cpus_request: { on: kvmMakeAllCpusRequest(thread, r, flush, 'smp_call_function_many') },
            // waiting (if at all) for the acks of the CPUs it waits for, then free the old resource
            smp_call_function_many: { on: finish(ipisAcked(r)) },
          }),
      ...(replaceLate ? { model_resource_replaced: { on: { [`${thread}.free_pages(old)`]: to('done') } } } : {}),
      ...(locking ? { freed: { on: { [`${thread}.spin_unlock(mmu_lock)`]: to('done', { update: setLock(false) }) } } } : {}),
      done: { type: 'final' },
    },
  };
}
