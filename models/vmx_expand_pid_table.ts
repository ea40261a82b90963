/**
 * IPI virtualization's PID-pointer table (reference §6, seeds/000): `kvm_vmx->pid_table`, which
 * the CPU itself reads, without locks, through each vCPU's VMCS field PID_POINTER_TABLE whenever
 * that vCPU is in guest mode. Tables are numbered: 0 is the one the VM starts with, 1 the bigger
 * one vmx_expand_pid_table() allocates.
 *
 * Threads: N online vCPUs (the vcpu_enter_guest() loop; the handler of KVM_REQ_PID_TABLE_UPDATE,
 * vmx_update_ipiv_pid_table(), reloads the VMCS field), `creator0` (KVM_CREATE_VCPU of a vCPU whose
 * APIC ID is beyond the table), K kickers (kvm_make_request(KVM_REQ_EVENT) + kvm_vcpu_kick()), and
 * optionally a second vCPU being created concurrently (`vcpu<N>`: its own thread creates it, then
 * runs it).
 *
 * Not modelled: the down_read(pid_table_lock) in vmx_update_ipiv_pid_table() (it only delays a
 * reload until the creator's up_write; leaving it out adds schedules), the table's contents, and
 * creator0's own vCPU after init_vmcs() (it gets the newest table).
 */
import { type AnyStateMachine, setup } from 'xstate';
import type { KvmContext } from './context.ts';
import { setAt } from './context.ts';
import {
  IPI_IDLE,
  IPI_STATE_MAX,
  IPI_STATE_NAMES,
  KVM_REQ_EVENT,
  KVM_REQ_PID_TABLE_UPDATE,
  MODE_NAMES,
  OUTSIDE_GUEST_MODE,
  READING_SHADOW_PAGE_TABLES,
  REQUEST_NAMES,
} from './kvm_host.ts';
import { KVM_VCPU_KICK_MASK, type RequestMask } from './kvm_request_needs_ipi.ts';
import { ipisAcked, kvmMakeAllCpusRequest, kvmVcpuKick, type RequestOptions } from './requester.ts';
import { type RegionConfig, to } from './transition.ts';
import { vcpuRegion } from './vcpu_enter_guest.ts';

export interface PidTableContext extends Omit<KvmContext, 'model_retired'> {
  /** kvm_vmx->pid_table: the published table. */
  readonly pid_table: number;
  /** Each vCPU's VMCS field PID_POINTER_TABLE: the table its CPU reads in guest mode. */
  readonly vmcs_pid_table: readonly number[];
  /** Table 0 has been freed (free_pages). */
  readonly model_freed: boolean;
  /** kvm_vmx->pid_table_lock is held for write. */
  readonly pid_table_lock: boolean;
  /** kvm->online_vcpus: vCPU v is online (visible to kvm_for_each_vcpu) when v < online_vcpus. */
  readonly online_vcpus: number;
}

/** How the table is sized (seeds/000). */
export type PidTableDesign =
  /** v5 8/8: grow on demand, KVM_REQ_PID_TABLE_UPDATE with `mask`, then free the old table. */
  | { readonly kind: 'expand'; readonly mask: RequestMask }
  /** Merged (v5.19): sized once from max_vcpu_ids at the first vCPU creation, never resized. */
  | { readonly kind: 'max-vcpu-ids' };

export interface PidTableModelOptions {
  /** Online vCPUs running vcpu_enter_guest(). */
  readonly vcpus: number;
  /** Threads that kvm_vcpu_kick() a vCPU (KVM_REQ_EVENT). */
  readonly kickers: number;
  readonly design: PidTableDesign;
  /** A second KVM_CREATE_VCPU in flight (APIC ID within the table), whose thread then runs the vCPU. */
  readonly concurrentCreate: boolean;
}

export const vcpuName = (v: number): string => `vcpu${v}`;
const CREATOR = 'creator0';
const kickerName = (k: number): string => `kicker${k}`;

/** The machine's own view of a context a shared block hands over as KvmContext. */
const asPidTableContext = (context: KvmContext): PidTableContext => context as unknown as PidTableContext;

/**
 * creator0: vmx_vcpu_create() -> init_vmcs() of a vCPU whose APIC ID is beyond the table. v5 8/8:
 * down_write(pid_table_lock); vmx_expand_pid_table(): vmx_alloc_pid_table() publishes the new
 * table, memcpy, kvm_make_all_cpus_request(KVM_REQ_PID_TABLE_UPDATE), free_pages(old); then the
 * new vCPU's VMCS field; up_write.
 */
function creatorRegion(design: PidTableDesign, vcpus: number, online: RequestOptions['online']): RegionConfig {
  const ev = (name: string): string => `${CREATOR}.${name}`;
  if (design.kind === 'max-vcpu-ids') {
    // vmx_alloc_ipiv_pid_table() ran at the first vCPU creation (vmx_vcpu_precreate()); nothing to resize
    return { initial: 'init_vmcs', states: { init_vmcs: { on: { [ev('init_vmcs')]: to('done') } }, done: { type: 'final' } } };
  }
  return {
    initial: 'init_vmcs',
    states: {
      init_vmcs: {
        on: {
          [ev('down_write(pid_table_lock)')]: to<PidTableContext>('vmx_expand_pid_table', {
            guard: ({ context }) => !context.pid_table_lock,
            update: () => ({ pid_table_lock: true }),
          }),
        },
      },
      // vmx_alloc_pid_table(): kvm_vmx->pid_table = new (before the memcpy, whose contents are not modelled)
      vmx_expand_pid_table: { on: { [ev('vmx_alloc_pid_table')]: to<PidTableContext>('kvm_make_all_cpus_request', { update: () => ({ pid_table: 1 }) }) } },
      kvm_make_all_cpus_request: {
        on: kvmMakeAllCpusRequest(CREATOR, 0, { vcpus, request: KVM_REQ_PID_TABLE_UPDATE, mask: design.mask, online }, 'smp_call_function_many'),
      },
      smp_call_function_many: {
        on: { [ev('free_pages(last_pid_table)')]: to<PidTableContext>('expanded', { guard: ipisAcked(0), update: () => ({ model_freed: true }) }) },
      },
      // vmcs_write64(PID_POINTER_TABLE) of the new vCPU; up_write(pid_table_lock)
      expanded: { on: { [ev('up_write(pid_table_lock)')]: to<PidTableContext>('done', { update: () => ({ pid_table_lock: false }) }) } },
      done: { type: 'final' },
    },
  };
}

/**
 * The concurrently created vCPU `v`: its thread issues KVM_CREATE_VCPU, whose init_vmcs() (under
 * pid_table_lock) writes the VMCS field, then publishes it (smp_wmb(); atomic_inc(online_vcpus)),
 * then runs it: the vcpu_enter_guest() loop.
 */
function createdVcpuRegion(v: number, run: RegionConfig): RegionConfig {
  const ev = (name: string): string => `${vcpuName(v)}.${name}`;
  return {
    initial: 'kvm_arch_vcpu_create',
    states: {
      kvm_arch_vcpu_create: {
        on: {
          // down_write(pid_table_lock); vmcs_write64(PID_POINTER_TABLE, __pa(kvm_vmx->pid_table)); up_write()
          [ev('init_vmcs')]: to<PidTableContext>('vcpu_created', {
            guard: ({ context }) => !context.pid_table_lock,
            update: ({ context }) => ({ vmcs_pid_table: setAt(context.vmcs_pid_table, v, context.pid_table) }),
          }),
        },
      },
      vcpu_created: { on: { [ev('atomic_inc(online_vcpus)')]: to<PidTableContext>(run.initial, { update: ({ context }) => ({ online_vcpus: context.online_vcpus + 1 }) }) } },
      ...run.states,
    },
  };
}

export function createPidTableMachine(options: PidTableModelOptions): AnyStateMachine {
  const total = options.vcpus + (options.concurrentCreate ? 1 : 0);
  const V = Array.from({ length: total }, (_, v) => v);
  const K = Array.from({ length: options.kickers }, (_, k) => k);
  const online = (context: KvmContext, v: number): boolean => v < asPidTableContext(context).online_vcpus;
  const handled = KVM_REQ_PID_TABLE_UPDATE | KVM_REQ_EVENT;
  const run = (v: number): RegionConfig =>
    vcpuRegion<PidTableContext>(v, {
      finalCheck: 'kernel',
      handledRequests: handled,
      mmuResource: false,
      // vmx_update_ipiv_pid_table(): vmcs_write64(PID_POINTER_TABLE, __pa(kvm_vmx->pid_table))
      requestHandlers: { [KVM_REQ_PID_TABLE_UPDATE]: ({ context }) => ({ vmcs_pid_table: setAt(context.vmcs_pid_table, v, context.pid_table) }) },
    });
  const kicker = (k: number): RegionConfig => {
    const kick = kvmVcpuKick(kickerName(k), 1 + k, { vcpus: total, request: KVM_REQ_EVENT, mask: KVM_VCPU_KICK_MASK, online }, 'done');
    return { initial: 'start', states: { start: { on: kick.choose }, ...kick.states, done: { type: 'final' } } };
  };
  const requesters = [CREATOR, ...K.map(kickerName)];
  const context: PidTableContext = {
    mode: V.map(() => OUTSIDE_GUEST_MODE),
    requests: V.map(() => 0),
    model_ipi: requesters.map(() => V.map(() => IPI_IDLE)),
    pid_table: 0,
    vmcs_pid_table: V.map(() => 0),
    model_freed: false,
    pid_table_lock: false,
    online_vcpus: options.vcpus,
  };
  return setup({ types: { context: {} as PidTableContext } }).createMachine({
    id: 'pid_table',
    type: 'parallel',
    context,
    meta: {
      kvmcheck: {
        groups: { vcpu: V.map(vcpuName), requester: requesters },
        // the running vCPUs are interchangeable; a vCPU still being created is not
        symmetric: options.concurrentCreate ? [] : ['vcpu'],
        vars: {
          mode: { type: 'int', max: READING_SHADOW_PAGE_TABLES, dims: ['vcpu'], names: MODE_NAMES },
          requests: { type: 'int', max: handled, dims: ['vcpu'], flags: Object.values(REQUEST_NAMES) },
          model_ipi: { type: 'int', max: IPI_STATE_MAX, dims: ['requester', 'vcpu'], names: IPI_STATE_NAMES },
          pid_table: { type: 'int', max: 1 },
          vmcs_pid_table: { type: 'int', max: 1, dims: ['vcpu'] },
          model_freed: { type: 'bool' },
          pid_table_lock: { type: 'bool' },
          online_vcpus: { type: 'int', max: total },
        },
      },
    },
    states: {
      ...Object.fromEntries(V.map((v) => [vcpuName(v), v < options.vcpus ? run(v) : createdVcpuRegion(v, run(v))])),
      [CREATOR]: creatorRegion(options.design, total, online),
      ...Object.fromEntries(K.map((k) => [kickerName(k), kicker(k)])),
    } as never,
  }) as unknown as AnyStateMachine;
}
