/**
 * The IPI decision of a request as a per-mode kick/wait mask carried by the request — Radim
 * Krčmář's proposal in seeds/004 (bit 8: wait; bits 9-11: kick in IN_GUEST_MODE,
 * EXITING_GUEST_MODE, READING_SHADOW_PAGE_TABLES). Every historical rule is one such mask, applied
 * to the mode that `kvm_vcpu_exiting_guest_mode()` (cmpxchg IN_GUEST_MODE -> EXITING_GUEST_MODE)
 * returned.
 */
import { EXITING_GUEST_MODE, IN_GUEST_MODE, READING_SHADOW_PAGE_TABLES, type VcpuMode } from './kvm_host.ts';

/** A set of vCPU modes, as a bit mask (bit m = mode m). */
export type ModeSet = number;

export const modeSet = (...modes: VcpuMode[]): ModeSet => modes.reduce<number>((s, m) => s | (1 << m), 0);
export const NOT_OUTSIDE: ModeSet = modeSet(IN_GUEST_MODE, EXITING_GUEST_MODE, READING_SHADOW_PAGE_TABLES);

/** In which old modes the requester sends an IPI, and for which of those it waits for the ack. */
export interface RequestMask {
  readonly ipi: ModeSet;
  /** Subset of `ipi`: waiting for a CPU that got no IPI is meaningless. */
  readonly wait: ModeSet;
}

export function includesMode(set: ModeSet, mode: number): boolean {
  return (set & (1 << mode)) !== 0;
}

/** The rules proposed in seeds/004, for a request made with KVM_REQUEST_WAIT. */
export const WAIT_REQUEST_RULES = {
  /** Merged (v4.13+, `kvm_request_needs_ipi`): WAIT -> IPI and wait if the old mode != OUTSIDE_GUEST_MODE. */
  kernel: { ipi: NOT_OUTSIDE, wait: NOT_OUTSIDE },
  /** v4.11: IPI if the old mode != OUTSIDE_GUEST_MODE, and `smp_call_function_many(..., wait=1)` always. */
  'v4.11': { ipi: NOT_OUTSIDE, wait: NOT_OUTSIDE },
  /** RFC 1/6: IPI only where the cmpxchg won (`kvm_arch_vcpu_should_kick`), still waiting for those. */
  'rfc-1-6': { ipi: modeSet(IN_GUEST_MODE), wait: modeSet(IN_GUEST_MODE) },
  /** Paolo's `wait` argument: IPI if the cmpxchg won, or if wait and mode != OUTSIDE_GUEST_MODE. */
  paolo: { ipi: modeSet(IN_GUEST_MODE) | NOT_OUTSIDE, wait: modeSet(IN_GUEST_MODE) | NOT_OUTSIDE },
} as const satisfies Record<string, RequestMask>;

/** `kvm_vcpu_kick()`: IPI only if its cmpxchg won (old mode IN_GUEST_MODE); never waits. */
export const KVM_VCPU_KICK_MASK: RequestMask = { ipi: modeSet(IN_GUEST_MODE), wait: 0 };

/**
 * `kvm_request_needs_ipi()` for a request without KVM_REQUEST_WAIT: IPI only if the old mode was
 * IN_GUEST_MODE (an EXITING_GUEST_MODE vCPU already has someone's IPI on its way); nobody waits.
 */
export const NO_WAIT_REQUEST_MASK: RequestMask = { ipi: modeSet(IN_GUEST_MODE), wait: 0 };
