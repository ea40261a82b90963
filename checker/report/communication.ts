/**
 * Communication between threads in a trace, derived from the transition system alone (no read
 * sets needed): which steps of other threads a step is ordered after.
 *
 * Rule. Step j happens after step i when j cannot be moved before i by swapping steps that
 * commute (Mazurkiewicz traces): scanning the steps after i in order, a step k is moved before
 * the block of steps already known to happen after i (i included) when it is enabled there and
 * the block, replayed after it, ends in the same state as before; otherwise, and always when it
 * is a later step of a thread that has a step in the block (program order), k joins the block.
 * A communication edge i -> j joins steps of different threads where j happens after i directly:
 * no step k between them happens after i with j happening after k. So a write and the step
 * that reads it (a flag raised and the waiter it releases, a message sent and its receipt), and a
 * read and the write that follows it, are edges; two writes that commute (setting different bits
 * of one word) are not; a write nobody reads gives no edge.
 */
import type { TransitionSystem } from '../engine/TransitionSystem.ts';
import type { Trace } from '../engine/index.ts';

/** Step `to` is ordered directly after step `from` of another thread (indices into the steps). */
export interface Communication {
  readonly from: number;
  readonly to: number;
}

/** The successor of `state` by `action`, or null when the action is not enabled there. */
function successor(system: TransitionSystem, state: Uint32Array, action: number): Uint32Array | null {
  let out: Uint32Array | null = null;
  system.load(state);
  system.successors((a, next) => {
    if (a === action) out = next.slice();
  });
  return out;
}

/** `actions` replayed from `state`, or null when one is not enabled. */
function replay(system: TransitionSystem, state: Uint32Array, actions: readonly number[]): Uint32Array | null {
  let cur: Uint32Array | null = state;
  for (const a of actions) {
    if (cur === null) return null;
    cur = successor(system, cur, a);
  }
  return cur;
}

const sameState = (a: Uint32Array, b: Uint32Array): boolean => a.length === b.length && a.every((w, k) => w === b[k]);

/** The steps after `i` that happen after it (directly or not), by the rule above. */
function happensAfter(system: TransitionSystem, trace: Trace, i: number): Set<number> {
  const threadOf = (k: number): number => system.actions[trace.actions[k]!]!.thread;
  const block: number[] = [trace.actions[i]!];
  const after = new Set<number>();
  const blockThreads = new Set<number>([threadOf(i)]);
  let before = trace.states[i]!; // the state where the block starts
  for (let k = i + 1; k < trace.actions.length; k++) {
    if (!blockThreads.has(threadOf(k))) {
      const moved = successor(system, before, trace.actions[k]!);
      const end = moved === null ? null : replay(system, moved, block);
      if (moved !== null && end !== null && sameState(end, trace.states[k + 1]!)) {
        before = moved;
        continue;
      }
    }
    block.push(trace.actions[k]!);
    blockThreads.add(threadOf(k));
    after.add(k);
  }
  return after;
}

/** The communication edges of `trace`, by increasing `to` then `from`. */
export function communication(system: TransitionSystem, trace: Trace): Communication[] {
  const after = trace.actions.map((_, i) => happensAfter(system, trace, i));
  const thread = (k: number): number => system.actions[trace.actions[k]!]!.thread;
  const edges: Communication[] = [];
  for (let j = 0; j < trace.actions.length; j++) {
    for (let i = 0; i < j; i++) {
      if (thread(i) === thread(j) || !after[i]!.has(j)) continue;
      let direct = true;
      for (const k of after[i]!) if (k < j && after[k]!.has(j)) direct = false;
      if (direct) edges.push({ from: i, to: j });
    }
  }
  return edges;
}
