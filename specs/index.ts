import { guestMode } from './guest-mode.ts';
import { hvVpindex } from './hv-vpindex.ts';
import { kickAll } from './kick-all.ts';
import { litmus } from './litmus.ts';
import { pidTable } from './pid-table.ts';
import type { Spec } from './Spec.ts';
import { vcpusArray } from './vcpus-array.ts';

export { type Expected, expectedVerdict, type MaskConsumer, type Spec, type SpecConfig, type SpecInstance, type Variant } from './Spec.ts';

/** Every spec, in the order `kvmcheck check` runs them. */
export const SPECS: readonly Spec[] = [guestMode, hvVpindex, kickAll, pidTable, vcpusArray, litmus];
