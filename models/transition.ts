/**
 * Small builders for the XState transition configs of the models, so every step reads as
 * "event -> target, if guard, then assign". Only pure guards and `assign` are used (the checker's
 * conventions, checker/xstate/conventions.ts).
 */
import { assign } from 'xstate';
import type { KvmContext } from './context.ts';

export type Guard = (args: { context: KvmContext }) => boolean;
export type Update = (args: { context: KvmContext }) => Partial<KvmContext>;

export interface TransitionConfig {
  readonly target?: string;
  readonly guard?: Guard;
  readonly actions?: unknown;
}

/** One guarded alternative of a step. */
export function to(target: string | undefined, options: { guard?: Guard; update?: Update } = {}): TransitionConfig {
  return {
    ...(target !== undefined ? { target } : {}),
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.update ? { actions: assign(options.update as never) } : {}),
  };
}

export type StateConfig = { type?: 'final'; on?: Record<string, TransitionConfig | TransitionConfig[]> };
export type RegionConfig = { initial: string; states: Record<string, StateConfig> };
