/**
 * A spec settles one design discussion: a model, the variants proposed in the thread, and the
 * verdict each variant must get. Verdicts are never declared to the checker: `expected` is only
 * compared with what exploration finds.
 */
import type { AnyStateMachine } from 'xstate';
import type { MemoryModel } from '../checker/memory/index.ts';
import type { ViewProperty } from '../checker/xstate/index.ts';
import type { RequestMask } from '../models/kvm_request_needs_ipi.ts';

export interface SpecConfig {
  readonly vcpus: number;
  readonly requesters: number;
}

export type Expected = { readonly verdict: 'holds' } | { readonly verdict: 'violated'; readonly property: string };

/** What a variant builds for one configuration. */
export interface SpecInstance {
  readonly machine: AnyStateMachine;
  readonly properties: readonly ViewProperty[];
}

export interface Variant {
  readonly name: string;
  /** One line: the design and who proposed it. */
  readonly description: string;
  readonly expected: Expected;
  readonly build: (config: SpecConfig) => SpecInstance;
  /** This variant's default configuration when it differs from the spec's (e.g. a bigger model). */
  readonly defaults?: SpecConfig;
  /** The memory models `check` runs it under when none is named on the command line (default: sc only). */
  readonly memoryModels?: readonly MemoryModel[];
  /** The verdict under a memory model where it differs from `expected` (the verdict under sc). */
  readonly expectedUnder?: Partial<Readonly<Record<MemoryModel, Expected>>>;
}

/** The verdict `variant` must get under `model`. */
export function expectedVerdict(variant: Variant, model: MemoryModel): Expected {
  return variant.expectedUnder?.[model] ?? variant.expected;
}

/**
 * A consumer of a request whose kick/wait mask `kvmcheck masks` searches: the spec rebuilt with
 * the request carrying any mask, checked against the consumer's safety properties.
 */
export interface MaskConsumer {
  readonly name: string;
  readonly description: string;
  /** What the kernel (or the design the spec settles) uses today, and its mask. */
  readonly kernel: { readonly label: string; readonly mask: RequestMask };
  readonly build: (config: SpecConfig, mask: RequestMask) => SpecInstance;
}

export interface Spec {
  readonly name: string;
  /** The thread in ../shared/seeds/ this spec comes from. */
  readonly seed: string;
  readonly description: string;
  readonly defaults: SpecConfig;
  readonly variants: readonly Variant[];
  /** Requests whose per-mode kick/wait mask `kvmcheck masks` can search. */
  readonly consumers?: readonly MaskConsumer[];
}
