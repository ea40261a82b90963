/**
 * One kvm_for_each_vcpu() walk over kvm->vcpus, one step per shared-memory access, by a vCPU
 * thread (from handle_exit, e.g. kvm_irq_delivery_to_apic() after an APIC-write exit) or by a
 * foreign reader (an irqfd injecting an interrupt, a VM ioctl). Per design (kvm_vcpus.ts):
 *
 * - array designs: load the array (a vCPU in move-request uses its cached vcpu->vcpus, read with
 *   the bound), atomic_read(&kvm->online_vcpus), then kvm_get_vcpu() of every index below
 *   min(online_vcpus, the array's size): one step, the walk's dereference of the array; srcu
 *   wraps this in srcu_read_lock()/srcu_read_unlock() (a vCPU thread really holds kvm->srcu
 *   across its whole host-side loop: the shorter section only gives the creator more schedules);
 * - append-list: follow the list, then read the last old node's next pointer.
 *
 * The first step of a walk notes whether vCPU N is online then (READER_MUST_SEE).
 */
import { setAt } from './context.ts';
import {
  READER_ARRAY1,
  READER_BOUND_NEW,
  READER_MUST_SEE,
  READER_SAW,
  READER_SRCU,
  type ReaderColumn,
  readerFlags,
  type VcpusContext,
  type VcpusDesign,
} from './kvm_vcpus.ts';
import { type Guard, type StateConfig, to, type TransitionConfig } from './transition.ts';

/** The program points of a walk the properties look at. */
export const WALK_DEREF = 'online_read'; // its next step dereferences the array it loaded
export const WALK_DONE = 'walked'; // every vCPU it will visit has been visited

export interface Walk {
  /** Steps that begin a walk, from the reader's `home` state. */
  readonly entry: Record<string, TransitionConfig>;
  readonly states: Record<string, StateConfig>;
}

export interface WalkOptions {
  readonly design: VcpusDesign;
  /** vCPU N's index: the number of vCPUs that exist from the start. */
  readonly vcpus: number;
  /** Where the walk starts and ends (handle_exit for a vCPU thread). */
  readonly home: string;
  /** A vCPU thread's own index (it reads its cached vcpu->vcpus in move-request); absent for a foreign reader. */
  readonly vcpu?: number;
  /** An extra guard on every step (a vCPU thread takes a pending IPI first). */
  readonly guard?: Guard<VcpusContext>;
}

export function kvmForEachVcpu(reader: ReaderColumn, options: WalkOptions): Walk {
  const { design, vcpus } = options;
  const ev = (name: string): string => `${reader.thread}.${name}`;
  const extra = options.guard ?? (() => true);
  const flags = (context: VcpusContext): number => readerFlags(context, reader);
  const newOnline = (context: VcpusContext): boolean => context.online_vcpus > vcpus;
  /** One step to `target` that sets the reader's flags to `next(context, flags)`. */
  const step = (target: string, next: (context: VcpusContext, f: number) => number, guard?: Guard<VcpusContext>): TransitionConfig =>
    to<VcpusContext>(target, {
      guard: (a) => extra(a) && (guard?.(a) ?? true),
      update: ({ context }) => ({ [reader.variable]: setAt(context[reader.variable]!, reader.index, next(context, flags(context))) }),
    });
  const begin = (context: VcpusContext, extraFlags: number): number => (newOnline(context) ? READER_MUST_SEE : 0) | extraFlags;
  const array1 = (isArray1: boolean): number => (isArray1 ? READER_ARRAY1 : 0);
  // kvm_get_vcpu(kvm, i) for i below min(online_vcpus, size): vCPU N only in array 1, once stored
  const getVcpus = step(WALK_DONE, (context, f) =>
    f & READER_ARRAY1 && f & READER_BOUND_NEW && context.model_new_vcpu_stored ? f | READER_SAW : f,
  );
  const onlineRead = step(WALK_DEREF, (context, f) => (newOnline(context) ? f | READER_BOUND_NEW : f));
  const end = (name: string): Record<string, StateConfig> => ({ [WALK_DONE]: { on: { [ev(name)]: step(options.home, () => 0) } } });

  if (design.kind === 'append-list') {
    return {
      entry: { [ev('kvm_for_each_vcpu(kvm->vcpu_list)')]: step('list_walking', (context) => begin(context, 0)) },
      states: {
        // list_for_each_entry_rcu(): the last old node's next pointer is vCPU N once it is linked
        list_walking: { on: { [ev('list_next_rcu(vcpu->list)')]: step(WALK_DONE, (context, f) => (context.model_new_vcpu_stored ? f | READER_SAW : f)) } },
        ...end('kvm_for_each_vcpu(end)'),
      },
    };
  }
  if (design.kind === 'srcu') {
    return {
      entry: { [ev('srcu_read_lock(kvm->srcu)')]: step('srcu_locked', (context) => begin(context, READER_SRCU)) },
      states: {
        srcu_locked: { on: { [ev('srcu_dereference(kvm->vcpus)')]: step('vcpus_loaded', (context, f) => f | array1(context.kvm_vcpus === 1)) } },
        vcpus_loaded: { on: { [ev('atomic_read(online_vcpus)')]: onlineRead } },
        [WALK_DEREF]: { on: { [ev('kvm_get_vcpu')]: getVcpus } },
        ...end('srcu_read_unlock(kvm->srcu)'),
      },
    };
  }
  const { vcpu } = options;
  if (vcpu !== undefined) {
    // a vCPU thread walks the array it cached in vcpu->vcpus (only it writes that field)
    return {
      entry: {
        [ev('atomic_read(online_vcpus)')]: step(WALK_DEREF, (context) =>
          begin(context, array1(context.vcpu_vcpus![vcpu] === 1) | (newOnline(context) ? READER_BOUND_NEW : 0)),
        ),
      },
      states: { [WALK_DEREF]: { on: { [ev('kvm_get_vcpu')]: getVcpus } }, ...end('kvm_for_each_vcpu(end)') },
    };
  }
  // a foreign reader: nothing protects kvm->vcpus from it in move-request
  return {
    entry: { [ev('READ_ONCE(kvm->vcpus)')]: step('vcpus_loaded', (context) => begin(context, array1(context.kvm_vcpus === 1))) },
    states: {
      vcpus_loaded: { on: { [ev('atomic_read(online_vcpus)')]: onlineRead } },
      [WALK_DEREF]: { on: { [ev('kvm_get_vcpu')]: getVcpus } },
      ...end('kvm_for_each_vcpu(end)'),
    },
  };
}

