/**
 * `kvm->vcpus` growing while it is read (reference §7, seeds/001): the designs of Radim Krčmář's
 * RFC "KVM: use RCU to allow dynamic kvm->vcpus array" (Aug 2017), the model's shared memory for
 * them, and the per-reader bookkeeping of a kvm_for_each_vcpu() walk.
 *
 * N vCPUs (indices 0..N-1) exist from the start in array 0, which is full; KVM_CREATE_VCPU of
 * vCPU N needs array 1 (twice the size). In the list design there is no array: vCPU N is appended
 * to the list that holds the others.
 */
import type { KvmContext } from './context.ts';
import type { RequestMask } from './kvm_request_needs_ipi.ts';

/** How kvm->vcpus grows and how its readers are protected. */
export interface VcpusDesign {
  readonly kind:
    /**
     * Alexander Graf: each vCPU caches vcpu->vcpus and reads only that; the creator publishes the
     * bigger array, makes a "vcpu move" request (KVM_REQ_UPDATE_VCPUS, KVM_REQUEST_WAIT) of every
     * vCPU, and frees the old array when every vCPU has moved (or, `movedBy: 'ipi-ack'`, once the
     * request's IPIs are acknowledged: "Or set the KVM_REQUEST_WAIT flag :)"). Foreign readers
     * load kvm->vcpus unprotected.
     */
    | 'move-request'
    /** Paolo Bonzini: readers under kvm->srcu; the creator waits for a grace period before kfree. */
    | 'srcu'
    /** Radim: kvm_for_each_vcpu() walks a lock-free list that only ever grows (nothing is freed). */
    | 'append-list';
  /** move-request: what the creator waits for before it frees the old array. */
  readonly movedBy?: 'every-vcpu' | 'ipi-ack';
  /** move-request: the kick/wait mask of KVM_REQ_UPDATE_VCPUS (default: the kernel's WAIT rule). */
  readonly mask?: RequestMask;
  /** Store the new vCPU's pointer before `atomic_inc(&kvm->online_vcpus)` (the kernel's order), or after. */
  readonly publish: 'pointer-first' | 'online-first';
}

/**
 * A reader's bookkeeping during one kvm_for_each_vcpu() walk (a flag set): the array it loaded,
 * whether its bound covers vCPU N, whether vCPU N was online when the walk began and whether the
 * walk visited it, and its SRCU read-side section.
 */
export const READER_ARRAY1 = 1 << 0; // it walks array 1 (else array 0)
export const READER_BOUND_NEW = 1 << 1; // its atomic_read(&kvm->online_vcpus) covers vCPU N
export const READER_MUST_SEE = 1 << 2; // vCPU N was online when the walk began
export const READER_SAW = 1 << 3; // the walk visited vCPU N
export const READER_SRCU = 1 << 4; // inside srcu_read_lock(&kvm->srcu)
export const READER_GP = 1 << 5; // a synchronize_srcu() that began while it was inside waits for it
export const READER_FLAGS = ['array1', 'bound_new', 'must_see', 'saw', 'srcu', 'gp_waits'] as const;
export const READER_MAX = (1 << READER_FLAGS.length) - 1;

/** The machine's context; a design declares only the variables it has (the optional ones). */
export interface VcpusContext extends Omit<KvmContext, 'model_retired'> {
  /** kvm->vcpus: which array is published (array designs). */
  readonly kvm_vcpus?: number;
  /** Array 0 has been freed (array designs). */
  readonly model_freed?: boolean;
  /** vcpu->vcpus: the array each vCPU caches (move-request). */
  readonly vcpu_vcpus?: readonly number[];
  /** vCPU N's pointer is in array 1 / vCPU N is linked into the list. */
  readonly model_new_vcpu_stored: boolean;
  /** kvm->online_vcpus: N, then N + 1 once vCPU N's creation is complete. */
  readonly online_vcpus: number;
  /** Per vCPU thread, its walk's READER_* flags. */
  readonly model_walk: readonly number[];
  /** Per foreign reader (irqfd injection, VM ioctl), its walk's READER_* flags. */
  readonly model_foreign_walk?: readonly number[];
}

/** The variable holding a reader's flags: its thread's column of model_walk or model_foreign_walk. */
export interface ReaderColumn {
  readonly thread: string;
  readonly variable: 'model_walk' | 'model_foreign_walk';
  readonly index: number;
}

export const readerFlags = (context: VcpusContext, reader: ReaderColumn): number => context[reader.variable]![reader.index]!;
