/**
 * Under a weak memory model a safety violation is often reached while the store that makes the
 * difference is still in its thread's store buffer: the other thread has read the old value from
 * memory. `appendDrains` continues such a counterexample with the drains of every store still
 * buffered in its last state (oldest first, thread by thread), so the reader sees each late store
 * reach memory after the load that missed it. The longer trace is kept only if the property is
 * still broken at its end (a drain changes only memory; the broken state stays reachable either way).
 */
import type { Trace } from '../engine/index.ts';
import type { StoreBufferSystem } from './tso.ts';

export function appendDrains(system: StoreBufferSystem, holds: () => boolean, trace: Trace): Trace {
  if (trace.loopStart !== null || trace.states.length === 0) return trace;
  const states = trace.states.slice();
  const actions = trace.actions.slice();
  for (;;) {
    system.load(states[states.length - 1]!);
    let drained: { action: number; next: Uint32Array } | null = null;
    system.successors((action, next) => {
      if (drained === null && system.isDrain(action)) drained = { action, next: next.slice() };
    });
    if (drained === null) break;
    const { action, next } = drained as { action: number; next: Uint32Array };
    actions.push(action);
    states.push(next);
  }
  if (actions.length === trace.actions.length) return trace;
  system.load(states[states.length - 1]!);
  return holds() ? trace : { states, actions, loopStart: null };
}
