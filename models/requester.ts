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
import { mapColumn, mapRow, setAt, setAt2 } from './context.ts';
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
} from './kvm_host.ts';
import { includesMode, type RequestMask } from './kvm_request_needs_ipi.ts';
import { type Guard, type RegionConfig, to, type Update } from './transition.ts';

export interface RequesterOptions {
  readonly vcpus: number;
  /** The kick/wait mask of the WAIT request (KVM_REQ_TLB_FLUSH). */
  readonly waitRequestMask: RequestMask;
  /** The mask of kvm_vcpu_kick(). */
  readonly kickMask: RequestMask;
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

export function requesterRegion(r: number, options: RequesterOptions): RegionConfig {
  const ev = (name: string): string => `requester${r}.${name}`;
  const vcpus = Array.from({ length: options.vcpus }, (_, v) => v);
  const idle: Guard = ({ context }) => current(context, r) < 0;
  const decided = (x: number): boolean => x !== IPI_IDLE && x !== IPI_REQUEST_SET;
  const waitingForAck: Guard = ({ context }) => context.model_ipi[r]!.includes(IPI_SENT_WAIT);

  return {
    initial: 'start',
    states: {
      start: {
        on: {
          ...Object.fromEntries(
            vcpus.map((v) => [ev(`kvm_make_request(KVM_REQ_EVENT):vcpu${v}`), to('kvm_vcpu_kick', { update: makeRequest(r, v, KVM_REQ_EVENT) })]),
          ),
          // rcu_assign_pointer(root, new): the resource every vCPU holds now is retired by r
          [ev('model_replace_resource')]: to('kvm_make_all_cpus_request', {
            update: ({ context }) => ({
              model_retired: vcpus.reduce(
                (m, v) => (m.some((row) => row[v]) ? m : mapColumn(m, v, (x, rr) => (rr === r ? true : x))),
                context.model_retired as boolean[][],
              ),
            }),
          }),
        },
      },
      kvm_vcpu_kick: {
        on: {
          [ev('kvm_vcpu_exiting_guest_mode')]: [
            to('smp_send_reschedule', {
              guard: ({ context }) => includesMode(options.kickMask.ipi, context.mode[current(context, r)]!),
              update: exitingGuestMode(r, options.kickMask),
            }),
            to('done', { update: exitingGuestMode(r, options.kickMask) }),
          ],
        },
      },
      smp_send_reschedule: { on: { [ev('smp_send_reschedule')]: to('done', { update: sendIpis(r) }) } },
      kvm_make_all_cpus_request: {
        on: {
          ...Object.fromEntries(
            vcpus.map((v) => [
              ev(`kvm_make_request(KVM_REQ_TLB_FLUSH):vcpu${v}`),
              to(undefined, { guard: (a) => idle(a) && a.context.model_ipi[r]![v] === IPI_IDLE, update: makeRequest(r, v, KVM_REQ_TLB_FLUSH) }),
            ]),
          ),
          [ev('kvm_vcpu_exiting_guest_mode')]: to(undefined, {
            guard: (a) => !idle(a),
            update: exitingGuestMode(r, options.waitRequestMask),
          }),
          // kvm_kick_many_cpus(cpus, wait): one batched smp_call_function_many()
          [ev('kvm_kick_many_cpus')]: to('smp_call_function_many', {
            guard: ({ context }) => context.model_ipi[r]!.every(decided),
            update: sendIpis(r),
          }),
        },
      },
      // waiting (if at all) for the acks of the CPUs it waits for, then free the old resource
      smp_call_function_many: { on: { [ev('free_pages(old)')]: to('done', { guard: (a) => !waitingForAck(a) }) } },
      done: { type: 'final' },
    },
  };
}
