/**
 * The per-mode kick/wait masks of Radim's proposal (seeds/004: "Maybe add bit mask to denote in
 * which modes the kick/wait is necessary?"): for each of IN_GUEST_MODE, EXITING_GUEST_MODE and
 * READING_SHADOW_PAGE_TABLES the requester does nothing, kicks (IPI), or kicks and waits for the
 * ack — waiting needs an IPI of one's own (smp_call_function_many waits for its own csd). 27 masks.
 */
import { EXITING_GUEST_MODE, IN_GUEST_MODE, READING_SHADOW_PAGE_TABLES } from '../models/kvm_host.ts';
import { includesMode, type RequestMask } from '../models/kvm_request_needs_ipi.ts';

export const MASK_MODES = [
  { mode: IN_GUEST_MODE, name: 'IN' },
  { mode: EXITING_GUEST_MODE, name: 'EXITING' },
  { mode: READING_SHADOW_PAGE_TABLES, name: 'READING_SPT' },
] as const;

/** Every mask: per mode none / kick / kick+wait. */
export function allMasks(): RequestMask[] {
  const masks: RequestMask[] = [];
  for (let code = 0; code < 3 ** MASK_MODES.length; code++) {
    let ipi = 0;
    let wait = 0;
    let rest = code;
    for (const { mode } of MASK_MODES) {
      const choice = rest % 3;
      rest = Math.floor(rest / 3);
      if (choice >= 1) ipi |= 1 << mode;
      if (choice === 2) wait |= 1 << mode;
    }
    masks.push({ ipi, wait });
  }
  return masks;
}

/** e.g. "kick{IN,EXITING} wait{IN}" ("none" when it does nothing). */
export function maskLabel(mask: RequestMask): string {
  const names = (set: number): string[] => MASK_MODES.filter((m) => includesMode(set, m.mode)).map((m) => m.name);
  const kick = names(mask.ipi);
  const wait = names(mask.wait);
  if (kick.length === 0) return 'none';
  return `kick{${kick.join(',')}}${wait.length ? ` wait{${wait.join(',')}}` : ''}`;
}

/** a <= b: every IPI and every wait of a is also one of b. */
export function maskLeq(a: RequestMask, b: RequestMask): boolean {
  return (a.ipi & ~b.ipi) === 0 && (a.wait & ~b.wait) === 0;
}

/** The minimal elements of `safe` under maskLeq (fewest IPIs and waits). */
export function minimalMasks(safe: readonly RequestMask[]): RequestMask[] {
  return safe.filter((m) => !safe.some((o) => (o.ipi !== m.ipi || o.wait !== m.wait) && maskLeq(o, m)));
}

/** The modes (restricted to MASK_MODES) a mask kicks and waits in: what matters for comparison. */
export function normalizeMask(mask: RequestMask): RequestMask {
  const all = MASK_MODES.reduce((s, m) => s | (1 << m.mode), 0);
  return { ipi: mask.ipi & all, wait: mask.wait & all };
}
