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

export interface TransitionConfig {
  readonly target?: string;
  readonly guard?: Guard<never>;
  readonly actions?: unknown;
}

/** One guarded alternative of a step. */
export function to<C = KvmContext>(target: string | undefined, options: { guard?: Guard<C>; update?: Update<C> } = {}): TransitionConfig {
  return {
    ...(target !== undefined ? { target } : {}),
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.update ? { actions: assign(options.update as never) } : {}),
  };
}

export type StateConfig = { type?: 'final'; on?: Record<string, TransitionConfig | TransitionConfig[]> };
export type RegionConfig = { initial: string; states: Record<string, StateConfig> };
