/**
 * The memslot-update thread of the kick-all model (seeds/003, reference §9): QEMU's main thread
 * changing vm0's memslots between KVM_KICK_ALL_RUNNING_VCPUS and KVM_RESUME_ALL_KICKED_VCPUS
 * ("KVM: API to block and resume all running vcpus in a vm", Oct 2022).
 *
 * KICK: kvm_make_all_cpus_request(kvm, KVM_REQ_USERSPACE_KICK) — a KVM_REQUEST_WAIT request, so
 * IPI-and-wait for every vCPU not OUTSIDE_GUEST_MODE — then down_write(&memory_transaction), which
 * waits for every KVM_RUN to drop its read side. The write side is held across the memslot update
 * and dropped by RESUME after kvm_clear_all_cpus_request(), as Paolo suggested ("kvm_clear_all_cpus_
 * request could be done right before up_write()"; v1 did down_write + up_write inside KICK and
 * relied on the pending request alone during the update).
 *
 * Several update threads are serialized by a mutex (QEMU's BQL, under which memory transactions
 * run); the model's vCPU threads do not take it (a VMM need not, and it only removes schedules). In
 * the signal variants the thread first stops every vCPU of vm0 (cpu->stop = true; qemu_cpu_kick():
 * pthread_kill(SIG_IPI)) and resumes them at the end (resume_all_vcpus()). Each of those is one
 * step per vCPU (store and signal together: a vCPU thread that saw cpu->stop before the signal
 * would only pause sooner), and kvm_clear_all_cpus_request() is one step for all vCPUs (while the write
 * side is held no vCPU is in KVM_RUN to read vcpu->requests).
 */
import { setAt } from './context.ts';
import type { KickAllContext } from './kick_all.ts';
import { KVM_REQ_USERSPACE_KICK } from './kvm_host.ts';
import { WAIT_REQUEST_RULES } from './kvm_request_needs_ipi.ts';
import { ipisAcked, kvmMakeAllCpusRequest } from './requester.ts';
import { canDownWrite, downWriteAcquire, downWriteQueue, upWrite } from './rw_semaphore.ts';
import { type RegionConfig, type StateConfig, to } from './transition.ts';

export interface KickerOptions {
  /** vm0's vCPUs: vcpu0 .. vcpu<vcpus-1>. */
  readonly vcpus: number;
  /** The memory_transaction semaphore of vm0. */
  readonly rwsem: number;
  /** Stop the vCPU threads with SIG_IPI first, resume them at the end. */
  readonly signal: boolean;
}

export const requesterName = (r: number): string => `requester${r}`;

const KICK = 'KVM_KICK_ALL_RUNNING_VCPUS';
/** The write side is held: the memslot update is under way. */
export const UPDATING: readonly string[] = ['KVM_SET_USER_MEMORY_REGION', 'KVM_RESUME_ALL_KICKED_VCPUS', 'up_write'];
/** KVM_KICK_ALL_RUNNING_VCPUS has returned (every vCPU left KVM_RUN): the write side is, or was, held. */
export const KICK_COMPLETED: readonly string[] = [...UPDATING, 'resume_all_vcpus', 'qemu_mutex_unlock_iothread', 'done'];

const pthreadKill = (v: number): string => `qemu_cpu_kick(vcpu${v})`;

/** Memslot-update thread `requester<r>` (row r of model_ipi) as an XState region. */
export function kickerRegion(r: number, options: KickerOptions): RegionConfig {
  const thread = requesterName(r);
  const ev = (name: string): string => `${thread}.${name}`;
  const { vcpus, rwsem: s, signal } = options;
  const V = Array.from({ length: vcpus }, (_, v) => v);
  const inVm0 = (row: readonly boolean[], x: boolean): boolean[] => row.map((y, k) => (k < vcpus ? x : y));
  const kickStart = signal ? pthreadKill(0) : KICK;
  const afterUpWrite = signal ? 'resume_all_vcpus' : 'qemu_mutex_unlock_iothread';

  const stopAll: Record<string, StateConfig> = {};
  for (const v of signal ? V : []) {
    // cpu->stop = true; qemu_cpu_kick(cpu): pthread_kill(cpu->thread, SIG_IPI)
    stopAll[pthreadKill(v)] = {
      on: {
        [ev(`pthread_kill(vcpu${v},SIG_IPI)`)]: to<KickAllContext>(v + 1 < vcpus ? pthreadKill(v + 1) : KICK, {
          update: ({ context }) => ({
            stop: setAt(context.stop!, v, true),
            model_sigpending: setAt(context.model_sigpending!, v, true),
          }),
        }),
      },
    };
  }
  return {
    initial: 'start',
    states: {
      start: {
        on: {
          [ev('qemu_mutex_lock_iothread')]: to<KickAllContext>(kickStart, { guard: ({ context }) => !context.qemu_global_mutex, update: () => ({ qemu_global_mutex: true }) }),
        },
      },
      ...stopAll,
      // KVM_KICK_ALL_RUNNING_VCPUS: kvm_make_all_cpus_request(kvm, KVM_REQ_USERSPACE_KICK)
      [KICK]: {
        on: kvmMakeAllCpusRequest(thread, r, { vcpus, request: KVM_REQ_USERSPACE_KICK, mask: WAIT_REQUEST_RULES.kernel }, 'smp_call_function_many'),
      },
      // the WAIT request has returned once every IPI it waits for is acknowledged; down_write() queues
      smp_call_function_many: {
        on: { [ev('down_write(memory_transaction)')]: to<KickAllContext>('rwsem_down_write_slowpath', { guard: ipisAcked(r), update: ({ context }) => downWriteQueue(context, s) }) },
      },
      rwsem_down_write_slowpath: {
        on: {
          [ev('rwsem_down_write_slowpath(locked)')]: to<KickAllContext>('KVM_SET_USER_MEMORY_REGION', {
            guard: ({ context }) => canDownWrite(context, s),
            update: ({ context }) => downWriteAcquire(context, s),
          }),
        },
      },
      // DELETE(m1), DELETE(m2), CREATE(m1+m2): the update no vCPU may see half done
      KVM_SET_USER_MEMORY_REGION: { on: { [ev('kvm_set_memory_region')]: to<KickAllContext>('KVM_RESUME_ALL_KICKED_VCPUS') } },
      KVM_RESUME_ALL_KICKED_VCPUS: {
        on: {
          [ev('kvm_clear_all_cpus_request(KVM_REQ_USERSPACE_KICK)')]: to<KickAllContext>('up_write', {
            update: ({ context }) => ({ requests: context.requests.map((x, k) => (k < vcpus ? x & ~KVM_REQ_USERSPACE_KICK : x)) }),
          }),
        },
      },
      up_write: { on: { [ev('up_write(memory_transaction)')]: to<KickAllContext>(afterUpWrite, { update: ({ context }) => upWrite(context, s) }) } },
      ...(signal
        ? {
            resume_all_vcpus: {
              on: { [ev('resume_all_vcpus')]: to<KickAllContext>('qemu_mutex_unlock_iothread', { update: ({ context }) => ({ stop: inVm0(context.stop!, false) }) }) },
            },
          }
        : {}),
      qemu_mutex_unlock_iothread: { on: { [ev('qemu_mutex_unlock_iothread')]: to<KickAllContext>('done', { update: () => ({ qemu_global_mutex: false }) }) } },
      done: { type: 'final' },
    },
  };
}
