/**
 * What random schedules covered: the distinct states they reached (in the engine's state store,
 * within a memory bound) and the action kinds (kinds.ts) they never took, per thread kind.
 */
import { MemoryBudget } from '../engine/memory.ts';
import { NO_ROOM, StateStore } from '../engine/stateStore.ts';
import type { ActionKinds } from './kinds.ts';

export interface CoverageReport {
  /** Distinct states seen; a lower bound when `capped`. */
  readonly states: number;
  /** The state table hit its memory bound: states seen after that were not counted. */
  readonly capped: boolean;
  /** The memory bound of the state table, in bytes. */
  readonly capBytes: number;
  /** Per thread kind: how many action kinds it has. */
  readonly actionKinds: Readonly<Record<string, number>>;
  /** Per thread kind: the action kinds no step took, in action id order. */
  readonly neverTaken: Readonly<Record<string, readonly string[]>>;
}

export class Coverage {
  private readonly store: StateStore | null;
  private readonly taken: Uint8Array;
  private capped = false;

  constructor(
    words: number,
    private readonly kinds: ActionKinds,
    private readonly capBytes: number,
  ) {
    this.store = StateStore.create(words, 0, Number.MAX_SAFE_INTEGER, new MemoryBudget(capBytes));
    this.capped = this.store === null;
    this.taken = new Uint8Array(kinds.kinds.length);
  }

  /** Records a state reached and the action that reached it (-1 for an initial state). */
  readonly observe = (state: Uint32Array, action: number): void => {
    if (action >= 0) this.taken[this.kinds.kindOf[action]!] = 1;
    if (this.store !== null && this.store.findOrAdd(state) === NO_ROOM) this.capped = true;
  };

  report(): CoverageReport {
    const actionKinds: Record<string, number> = {};
    const neverTaken: Record<string, string[]> = {};
    this.kinds.kinds.forEach((k, id) => {
      actionKinds[k.threadKind] = (actionKinds[k.threadKind] ?? 0) + 1;
      neverTaken[k.threadKind] ??= [];
      if (this.taken[id] === 0) neverTaken[k.threadKind]!.push(k.action);
    });
    return { states: this.store?.count ?? 0, capped: this.capped, capBytes: this.capBytes, actionKinds, neverTaken };
  }
}
