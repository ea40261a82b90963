import { guestMode } from './guest-mode.ts';
import type { Spec } from './Spec.ts';

export type { Expected, Spec, SpecConfig, SpecInstance, Variant } from './Spec.ts';

/** Every spec, in the order `kvmcheck check` runs them. */
export const SPECS: readonly Spec[] = [guestMode];
