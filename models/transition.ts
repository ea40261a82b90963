/**
 * Small builders for the XState transition configs of the models, so every step reads as
 * "event -> target, if guard, then assign". Only pure guards and `assign` are used (the checker's
 * conventions, checker/xstate/conventions.ts).
 */
import { assign } from 'xstate';
import type { KvmContext } from './context.ts';

/** A pure guard over the machine's context (`C` defaults to the KVM request model's). */
export type Guard<C = KvmContext> = (args: { context: C }) => boolean;
/** An `assign` body: the context variables a step writes. */
export type Update<C = KvmContext> = (args: { context: C }) => Partial<C>;

/**
 * How a step accesses the machine's shared-memory variables (root `meta.kvmcheck.shared`), for weak
 * memory models (checker/xstate/conventions.ts, MemoryAccess): `store` plain store(s) (WRITE_ONCE,
 * smp_store_release); `rmw` a fully ordered read-modify-write (xchg); `fence` the step's accesses
 * with a full barrier (smp_mb(), smp_store_mb()); `set_bit` (with `bits`) and `cmpxchg`, which
 * order nothing on arm64 (a cmpxchg only when it fails). A step that only loads declares nothing.
 */
export type MemoryAccess = 'store' | 'rmw' | 'fence' | 'set_bit' | 'cmpxchg';

export interface TransitionConfig {
  readonly target?: string;
  readonly guard?: Guard<never>;
  readonly actions?: unknown;
  readonly meta?: { readonly kvmcheck: { readonly access: MemoryAccess; readonly bits?: number } };
}

/** One guarded alternative of a step. */
export function to<C = KvmContext>(target: string | undefined, options: { guard?: Guard<C>; update?: Update<C>; access?: MemoryAccess; bits?: number } = {}): TransitionConfig {
  return {
    ...(target !== undefined ? { target } : {}),
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.update ? { actions: assign(options.update as never) } : {}),
    ...(options.access ? { meta: { kvmcheck: { access: options.access, ...(options.bits ? { bits: options.bits } : {}) } } } : {}),
  };
}

export type StateConfig = { type?: 'final'; on?: Record<string, TransitionConfig | TransitionConfig[]> };
export type RegionConfig = { initial: string; states: Record<string, StateConfig> };
