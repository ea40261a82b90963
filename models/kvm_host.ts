/**
 * Constants of include/linux/kvm_host.h that the models use, and the model's own encodings of
 * per-requester progress. Kernel names are spelled as in the kernel.
 */

/** `enum { OUTSIDE_GUEST_MODE, IN_GUEST_MODE, EXITING_GUEST_MODE, READING_SHADOW_PAGE_TABLES }` */
export const OUTSIDE_GUEST_MODE = 0;
export const IN_GUEST_MODE = 1;
export const EXITING_GUEST_MODE = 2;
export const READING_SHADOW_PAGE_TABLES = 3;
export const MODE_NAMES = ['OUTSIDE_GUEST_MODE', 'IN_GUEST_MODE', 'EXITING_GUEST_MODE', 'READING_SHADOW_PAGE_TABLES'] as const;
export type VcpuMode = 0 | 1 | 2 | 3;

/**
 * Request bits in `vcpu->requests` (the model keeps two; numbers are abstract, kvm_host.h §2.1).
 * KVM_REQ_TLB_FLUSH is KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP: the request whose sender frees
 * what the guest may still be using. KVM_REQ_EVENT has no flags: "notice me soon".
 */
export const KVM_REQ_TLB_FLUSH = 1 << 0;
export const KVM_REQ_EVENT = 1 << 1;
/**
 * Arch requests of proposals that never landed: KVM_REQ_PID_TABLE_UPDATE (IPIv v5 8/8, x86,
 * KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP: reload the VMCS PID-pointer table field) and
 * KVM_REQ_UPDATE_VCPUS (Radim's sketch of Graf's "vcpu move" request: reload vcpu->vcpus).
 */
export const KVM_REQ_PID_TABLE_UPDATE = 1 << 2;
export const KVM_REQ_UPDATE_VCPUS = 1 << 3;
/**
 * KVM_REQ_USERSPACE_KICK (seeds/003, "KVM: API to block and resume all running vcpus", x86,
 * KVM_ARCH_REQ_FLAGS(32, KVM_REQUEST_WAIT)): made by KVM_KICK_ALL_RUNNING_VCPUS; vcpu_enter_guest()
 * only tests it (-EINTR out of KVM_RUN); KVM_RESUME_ALL_KICKED_VCPUS clears it.
 */
export const KVM_REQ_USERSPACE_KICK = 1 << 4;
/** Every request bit the models know, in bit order (vCPU handlers are checked in this order). */
export const REQUEST_NAMES: Readonly<Record<number, string>> = {
  [KVM_REQ_TLB_FLUSH]: 'KVM_REQ_TLB_FLUSH',
  [KVM_REQ_EVENT]: 'KVM_REQ_EVENT',
  [KVM_REQ_PID_TABLE_UPDATE]: 'KVM_REQ_PID_TABLE_UPDATE',
  [KVM_REQ_UPDATE_VCPUS]: 'KVM_REQ_UPDATE_VCPUS',
  [KVM_REQ_USERSPACE_KICK]: 'KVM_REQ_USERSPACE_KICK',
};

/**
 * model_ipi[r][v]: where requester r stands with vCPU v (model-invented bookkeeping for the
 * cpumask and the csd of `smp_call_function_many`).
 */
export const IPI_IDLE = 0; // r has not touched v
export const IPI_REQUEST_SET = 1; // request bit set, kvm_vcpu_exiting_guest_mode() not yet run
export const IPI_NONE = 2; // decided: no IPI (or the IPI was acknowledged)
export const IPI_MASKED = 3; // decided: IPI, no wait (cpu set in the mask)
export const IPI_MASKED_WAIT = 4; // decided: IPI and wait for the ack
export const IPI_SENT = 5; // IPI pending at v's CPU, nobody waits for it
export const IPI_SENT_WAIT = 6; // IPI pending at v's CPU, r waits for its ack
export const IPI_STATE_MAX = 6;
export const IPI_STATE_NAMES = ['idle', 'request_set', 'no_ipi', 'masked', 'masked_wait', 'ipi_sent', 'ipi_sent_wait'] as const;
