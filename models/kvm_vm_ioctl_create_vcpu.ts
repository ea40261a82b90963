/**
 * KVM_CREATE_VCPU of vCPU N while kvm->vcpus is full (reference §3.8, §7.1, seeds/001): grow the
 * array and retire the old one (or append to the list), then publish vCPU N — store its pointer,
 * smp_wmb(), atomic_inc(&kvm->online_vcpus) — in the design's order. Creations are serialized by
 * kvm->lock; one is modelled, by `creator0`, while N vCPU threads (the vcpu_enter_guest() loop,
 * walking kvm_for_each_vcpu() from handle_exit) and F foreign readers walk the vCPUs.
 */
import { type AnyStateMachine, setup } from 'xstate';
import { setAt } from './context.ts';
import { kvmForEachVcpu } from './kvm_for_each_vcpu.ts';
import {
  IPI_IDLE,
  IPI_STATE_MAX,
  IPI_STATE_NAMES,
  KVM_REQ_UPDATE_VCPUS,
  MODE_NAMES,
  OUTSIDE_GUEST_MODE,
  READING_SHADOW_PAGE_TABLES,
  REQUEST_NAMES,
} from './kvm_host.ts';
import { WAIT_REQUEST_RULES } from './kvm_request_needs_ipi.ts';
import { READER_FLAGS, READER_GP, READER_MAX, READER_SRCU, type ReaderColumn, type VcpusContext, type VcpusDesign } from './kvm_vcpus.ts';
import { ipisAcked, kvmMakeAllCpusRequest } from './requester.ts';
import { type RegionConfig, type StateConfig, to } from './transition.ts';
import { ipiPending, vcpuRegion } from './vcpu_enter_guest.ts';

export interface VcpusModelOptions {
  /** vCPU threads (vCPUs 0..N-1, online from the start). */
  readonly vcpus: number;
  /** Foreign readers (an irqfd injecting an interrupt, a VM ioctl walking the vCPUs). */
  readonly foreign: number;
  readonly design: VcpusDesign;
}

export const vcpuName = (v: number): string => `vcpu${v}`;
export const foreignName = (f: number): string => `foreign${f}`;
const CREATOR = 'creator0';

export const vcpuReader = (v: number): ReaderColumn => ({ thread: vcpuName(v), variable: 'model_walk', index: v });
export const foreignReader = (f: number): ReaderColumn => ({ thread: foreignName(f), variable: 'model_foreign_walk', index: f });

/** The steps that make vCPU N visible, from `from` to the final state `done`, in the design's order. */
function publish(design: VcpusDesign, n: number, from: string): Record<string, StateConfig> {
  const ev = (name: string): string => `${CREATOR}.${name}`;
  const store = design.kind === 'append-list' ? 'list_add_tail_rcu(vcpu->list)' : `kvm->vcpus[${n}] = vcpu`;
  const storeStep = (target: string) => to<VcpusContext>(target, { update: () => ({ model_new_vcpu_stored: true }) });
  const onlineStep = (target: string) => to<VcpusContext>(target, { update: ({ context }) => ({ online_vcpus: context.online_vcpus + 1 }) });
  return design.publish === 'pointer-first'
    ? { [from]: { on: { [ev(store)]: storeStep('vcpu_stored') } }, vcpu_stored: { on: { [ev('atomic_inc(online_vcpus)')]: onlineStep('done') } } }
    : { [from]: { on: { [ev('atomic_inc(online_vcpus)')]: onlineStep('vcpu_online') } }, vcpu_online: { on: { [ev(store)]: storeStep('done') } } };
}

/** A reader inside its SRCU read-side section is waited for by the grace period that begins now. */
const markGp = (f: number): number => (f & READER_SRCU ? f | READER_GP : f);

/** creator0: grow kvm->vcpus and free the old array once nobody can use it, then publish vCPU N. */
function creatorRegion(options: VcpusModelOptions): RegionConfig {
  const { design, vcpus } = options;
  const ev = (name: string): string => `${CREATOR}.${name}`;
  const done = { done: { type: 'final' as const } };
  if (design.kind === 'append-list') return { initial: 'kvm_vm_ioctl_create_vcpu', states: { ...publish(design, vcpus, 'kvm_vm_ioctl_create_vcpu'), ...done } };
  const kfree = (guard: (context: VcpusContext) => boolean) =>
    ({ [ev('kfree(old)')]: to<VcpusContext>('old_freed', { guard: ({ context }) => guard(context), update: () => ({ model_freed: true }) }) });
  // the bigger array, with the N old pointers copied, is published
  const grow = (name: string, target: string) => ({ on: { [ev(name)]: to<VcpusContext>(target, { update: () => ({ kvm_vcpus: 1 }) }) } });
  if (design.kind === 'srcu') {
    return {
      initial: 'kvm_vm_ioctl_create_vcpu',
      states: {
        kvm_vm_ioctl_create_vcpu: grow('rcu_assign_pointer(kvm->vcpus, new)', 'vcpus_grown'),
        vcpus_grown: {
          on: {
            // synchronize_srcu_expedited(): the grace period waits for every reader inside now
            [ev('synchronize_srcu_expedited(kvm->srcu)')]: to<VcpusContext>('synchronize_srcu', {
              update: ({ context }) => ({
                model_walk: context.model_walk.map(markGp),
                ...(context.model_foreign_walk ? { model_foreign_walk: context.model_foreign_walk.map(markGp) } : {}),
              }),
            }),
          },
        },
        synchronize_srcu: { on: kfree((context) => ![...context.model_walk, ...(context.model_foreign_walk ?? [])].some((f) => f & READER_GP)) },
        ...publish(design, vcpus, 'old_freed'),
        ...done,
      },
    };
  }
  const V = Array.from({ length: vcpus }, (_, v) => v);
  const acked = ipisAcked(0);
  return {
    initial: 'kvm_vm_ioctl_create_vcpu',
    states: {
      kvm_vm_ioctl_create_vcpu: grow('WRITE_ONCE(kvm->vcpus, new)', 'kvm_make_all_cpus_request'),
      kvm_make_all_cpus_request: {
        on: kvmMakeAllCpusRequest(CREATOR, 0, { vcpus, request: KVM_REQ_UPDATE_VCPUS, mask: design.mask ?? WAIT_REQUEST_RULES.kernel }, 'smp_call_function_many'),
      },
      // smp_call_function_many(..., wait) returned; "only if all vcpus successfully moved, keep rolling"
      smp_call_function_many: {
        on: kfree((context) => acked({ context }) && (design.movedBy === 'ipi-ack' || V.every((v) => context.vcpu_vcpus![v] === 1))),
      },
      ...publish(design, vcpus, 'old_freed'),
      ...done,
    },
  };
}

export function createVcpusMachine(options: VcpusModelOptions): AnyStateMachine {
  const { design, vcpus } = options;
  const V = Array.from({ length: vcpus }, (_, v) => v);
  const F = Array.from({ length: options.foreign }, (_, f) => f);
  const isArray = design.kind !== 'append-list';
  const isMove = design.kind === 'move-request';
  const vcpu = (v: number): RegionConfig => {
    const walk = kvmForEachVcpu(vcpuReader(v), { design, vcpus, home: 'handle_exit', vcpu: v, guard: ({ context }) => !ipiPending(context, v) });
    return vcpuRegion<VcpusContext>(v, {
      finalCheck: 'kernel',
      handledRequests: isMove ? KVM_REQ_UPDATE_VCPUS : 0,
      mmuResource: false,
      // Radim's sketch: vcpu->vcpus = kvm->vcpus
      requestHandlers: { [KVM_REQ_UPDATE_VCPUS]: ({ context }) => ({ vcpu_vcpus: setAt(context.vcpu_vcpus!, v, context.kvm_vcpus!) }) },
      exitHandler: walk,
    });
  };
  const foreign = (f: number): RegionConfig => {
    const walk = kvmForEachVcpu(foreignReader(f), { design, vcpus, home: 'idle' });
    return { initial: 'idle', states: { idle: { on: walk.entry }, ...walk.states } };
  };
  const context: VcpusContext = {
    mode: V.map(() => OUTSIDE_GUEST_MODE),
    requests: V.map(() => 0),
    model_ipi: [V.map(() => IPI_IDLE)],
    ...(isArray ? { kvm_vcpus: 0, model_freed: false } : {}),
    ...(isMove ? { vcpu_vcpus: V.map(() => 0) } : {}),
    model_new_vcpu_stored: false,
    online_vcpus: vcpus,
    model_walk: V.map(() => 0),
    ...(options.foreign > 0 ? { model_foreign_walk: F.map(() => 0) } : {}),
  };
  const walkFlags = { type: 'int', max: READER_MAX, flags: READER_FLAGS } as const;
  return setup({ types: { context: {} as VcpusContext } }).createMachine({
    id: 'kvm_vcpus',
    type: 'parallel',
    context,
    meta: {
      kvmcheck: {
        groups: { vcpu: V.map(vcpuName), requester: [CREATOR], ...(options.foreign > 0 ? { foreign: F.map(foreignName) } : {}) },
        symmetric: ['vcpu', ...(options.foreign > 0 ? ['foreign'] : [])],
        vars: {
          mode: { type: 'int', max: READING_SHADOW_PAGE_TABLES, dims: ['vcpu'], names: MODE_NAMES },
          requests: { type: 'int', max: isMove ? KVM_REQ_UPDATE_VCPUS : 0, dims: ['vcpu'], flags: Object.values(REQUEST_NAMES) },
          model_ipi: { type: 'int', max: IPI_STATE_MAX, dims: ['requester', 'vcpu'], names: IPI_STATE_NAMES },
          ...(isArray ? { kvm_vcpus: { type: 'int', max: 1 }, model_freed: { type: 'bool' } } : {}),
          ...(isMove ? { vcpu_vcpus: { type: 'int', max: 1, dims: ['vcpu'] } } : {}),
          model_new_vcpu_stored: { type: 'bool' },
          online_vcpus: { type: 'int', max: vcpus + 1 },
          model_walk: { ...walkFlags, dims: ['vcpu'] },
          ...(options.foreign > 0 ? { model_foreign_walk: { ...walkFlags, dims: ['foreign'] } } : {}),
        },
      },
    },
    states: {
      ...Object.fromEntries(V.map((v) => [vcpuName(v), vcpu(v)])),
      [CREATOR]: creatorRegion(options),
      ...Object.fromEntries(F.map((f) => [foreignName(f), foreign(f)])),
    } as never,
  }) as unknown as AnyStateMachine;
}
