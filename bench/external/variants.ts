/**
 * The parameters of guest_mode.pml / guest_mode.m for each guest-mode variant (specs/guest-mode.ts),
 * taken from the model's own constants so the encodings check the rule the variant names.
 */
import { KVM_REQ_EVENT, KVM_REQ_TLB_FLUSH } from '../../models/kvm_host.ts';
import { WAIT_REQUEST_RULES } from '../../models/kvm_request_needs_ipi.ts';

export interface EncodingParameters {
  /** Mode sets (bit m = mode m) of the WAIT request's kick/wait mask. */
  readonly waitIpi: number;
  readonly waitWait: number;
  /** Request bits the vCPU clears. */
  readonly handled: number;
  /** The check-before-mode mutant's vCPU. */
  readonly beforeModeStore: boolean;
}

const ALL_HANDLED = KVM_REQ_TLB_FLUSH | KVM_REQ_EVENT;
const withRule = (rule: { ipi: number; wait: number }): EncodingParameters => ({
  waitIpi: rule.ipi,
  waitWait: rule.wait,
  handled: ALL_HANDLED,
  beforeModeStore: false,
});

export const EXTERNAL_VARIANTS: Readonly<Record<string, EncodingParameters>> = {
  kernel: withRule(WAIT_REQUEST_RULES.kernel),
  'v4.11': withRule(WAIT_REQUEST_RULES['v4.11']),
  'rfc-1-6': withRule(WAIT_REQUEST_RULES['rfc-1-6']),
  paolo: withRule(WAIT_REQUEST_RULES.paolo),
  'check-before-mode': { ...withRule(WAIT_REQUEST_RULES.kernel), beforeModeStore: true },
  'no-action-logged': { ...withRule(WAIT_REQUEST_RULES.kernel), handled: KVM_REQ_EVENT },
};

export function encodingParameters(variant: string): EncodingParameters {
  const p = EXTERNAL_VARIANTS[variant];
  if (!p) throw new Error(`guest-mode variant '${variant}' has no external encoding (known: ${Object.keys(EXTERNAL_VARIANTS).join(', ')})`);
  return p;
}
