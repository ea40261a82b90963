/**
 * vcpus-array (seeds/001, Aug 2017): "[PATCH RFC 0/2] KVM: use RCU to allow dynamic kvm->vcpus
 * array". kvm->vcpus grows when a vCPU is created, while vCPU threads and foreign readers (an
 * irqfd injecting an interrupt, a VM ioctl) walk it with kvm_for_each_vcpu(). Alexander Graf: send
 * a "vcpu move" request and let each vCPU thread migrate ("Or set the KVM_REQUEST_WAIT flag :)");
 * Radim: foreign accesses would still need "(S)RCU"; Paolo: use kvm->srcu; Radim: a list "is
 * trivial to make lockless as we only append".
 *
 * `requesters` in the configuration is the number of foreign readers (move-request has none).
 */
import type { StateView } from '../checker/xstate/index.ts';
import { always } from '../checker/xstate/index.ts';
import { WALK_DEREF, WALK_DONE } from '../models/kvm_for_each_vcpu.ts';
import { READER_ARRAY1, READER_MUST_SEE, READER_SAW, type ReaderColumn, readerFlags, type VcpusContext, type VcpusDesign } from '../models/kvm_vcpus.ts';
import { createVcpusMachine, foreignReader, vcpuReader } from '../models/kvm_vm_ioctl_create_vcpu.ts';
import { WAIT_REQUEST_RULES } from '../models/kvm_request_needs_ipi.ts';
import type { Expected, Spec, SpecConfig, Variant } from './Spec.ts';

const readersOf = (vcpus: number, foreign: number): ReaderColumn[] => [
  ...Array.from({ length: vcpus }, (_, v) => vcpuReader(v)),
  ...Array.from({ length: foreign }, (_, f) => foreignReader(f)),
];

/**
 * No reader dereferences a freed array: no walk is at its kvm_get_vcpu() step (the next step
 * dereferences the array it loaded) while that array is the freed one.
 */
export const noFreedArrayDeref = (readers: readonly ReaderColumn[]) =>
  always('no-freed-array-deref', ({ value, context }: StateView) => {
    const ctx = context as unknown as VcpusContext;
    return readers.every((r) => value[r.thread] !== WALK_DEREF || !ctx.model_freed || (readerFlags(ctx, r) & READER_ARRAY1) !== 0);
  });

/**
 * Every vCPU whose creation has completed is seen by kvm_for_each_vcpu(): a walk that began when
 * vCPU N was already online (atomic_inc(&kvm->online_vcpus) done: the kernel's point at which
 * creation is complete) has visited it by the time it ends.
 */
export const onlineVcpuSeen = (readers: readonly ReaderColumn[]) =>
  always('online-vcpu-seen', ({ value, context }: StateView) => {
    const ctx = context as unknown as VcpusContext;
    return readers.every((r) => {
      const f = readerFlags(ctx, r);
      return value[r.thread] !== WALK_DONE || (f & READER_MUST_SEE) === 0 || (f & READER_SAW) !== 0;
    });
  });

const HOLDS: Expected = { verdict: 'holds' };

function variant(name: string, description: string, expected: Expected, design: VcpusDesign, foreignReaders: boolean): Variant {
  return {
    name,
    description,
    expected,
    build: (config: SpecConfig) => {
      const foreign = foreignReaders ? config.requesters : 0;
      const readers = readersOf(config.vcpus, foreign);
      return {
        machine: createVcpusMachine({ vcpus: config.vcpus, foreign, design }),
        properties: [noFreedArrayDeref(readers), onlineVcpuSeen(readers)],
      };
    },
  };
}

const MOVE: VcpusDesign = { kind: 'move-request', movedBy: 'every-vcpu', publish: 'pointer-first' };

export const vcpusArray: Spec = {
  name: 'vcpus-array',
  seed: '001_b06719a69092f425.txt',
  description: 'kvm->vcpus grows while vCPU threads and foreign readers walk it with kvm_for_each_vcpu()',
  defaults: { vcpus: 2, requesters: 1 },
  consumers: [
    {
      name: 'vcpus-move',
      description: 'the old kvm->vcpus array is freed once the "vcpu move" request (KVM_REQ_UPDATE_VCPUS) is acked (movedBy: ipi-ack), vCPU-thread readers only',
      kernel: { label: 'KVM_REQ_UPDATE_VCPUS = WAIT (Graf)', mask: WAIT_REQUEST_RULES.kernel },
      build: (config, mask) => {
        const readers = readersOf(config.vcpus, 0);
        return {
          machine: createVcpusMachine({ vcpus: config.vcpus, foreign: 0, design: { ...MOVE, movedBy: 'ipi-ack', mask } }),
          properties: [noFreedArrayDeref(readers), onlineVcpuSeen(readers)],
        };
      },
    },
  ],
  variants: [
    variant('move-request', 'Graf: "vcpu move" request (WAIT), free once every vCPU has moved; vCPU-thread readers only', HOLDS, MOVE, false),
    variant(
      'move-request-foreign',
      'the same with a foreign reader (irqfd, VM ioctl): the request does not reach non-vCPU readers',
      { verdict: 'violated', property: 'no-freed-array-deref' },
      MOVE,
      true,
    ),
    variant(
      'move-request-wait-only',
      'Graf\'s ":)": KVM_REQUEST_WAIT as the only bookkeeping; it waits for guest mode, not for a vCPU walking in host code',
      { verdict: 'violated', property: 'no-freed-array-deref' },
      { kind: 'move-request', movedBy: 'ipi-ack', publish: 'pointer-first' },
      false,
    ),
    variant('srcu', 'Paolo: every reader under kvm->srcu, synchronize_srcu_expedited() before kfree(old)', HOLDS, { kind: 'srcu', publish: 'pointer-first' }, true),
    variant('append-list', 'Radim: kvm_for_each_vcpu() over a lock-free list that is only appended to', HOLDS, { kind: 'append-list', publish: 'pointer-first' }, true),
    variant(
      'publish-early',
      'srcu, but atomic_inc(&kvm->online_vcpus) before the pointer is stored (the order smp_wmb() enforces, reversed)',
      { verdict: 'violated', property: 'online-vcpu-seen' },
      { kind: 'srcu', publish: 'online-first' },
      true,
    ),
  ],
};
