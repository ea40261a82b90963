/**
 * The engine's whole view of a model (the PINS-like seam): a finite transition system over
 * fixed-width packed states. Front-ends (e.g. checker/xstate) compile a model into this interface;
 * search strategies only ever see this interface. Nothing here knows about statecharts.
 *
 * The interface is stateful in one way only: `load(state)` makes a state *current*, and
 * `successors`, `isFinal` and every predicate then refer to that current state. This lets a
 * front-end decode a packed state once and reuse the decoding for every question about it.
 */

/** One action of the system: which thread takes it and what it is called. */
export interface ActionLabel {
  /** Index into `TransitionSystem.threads`. */
  readonly thread: number;
  /** Human-readable name (for a KVM model: the kernel function the step mirrors). */
  readonly name: string;
}

/** Thread-by-thread and variable-by-variable decoding of a packed state, for reports. */
export interface StateDescription {
  /** Control state of each thread, by thread name. */
  readonly threads: Readonly<Record<string, string>>;
  /** Variables, by name; values are JSON-safe. */
  readonly vars: Readonly<Record<string, unknown>>;
}

/** A named predicate over the current (loaded) state. */
export interface StatePredicate {
  readonly name: string;
  /** Evaluated on the state last passed to `load`. Pure. */
  readonly test: () => boolean;
}

/**
 * A property to check. Predicates are evaluated on the current (loaded) state. A liveness
 * property's `owner` is the thread it is about (an index into `threads`), when it is one instance
 * of a property stated for each thread of a symmetric group, under one name: it lets liveness be
 * checked under symmetry reduction (ExploreOptions.symmetry).
 */
export type Property =
  /** Safety: `holds` is true in every reachable state. */
  | { readonly kind: 'always'; readonly name: string; readonly holds: () => boolean }
  /** Liveness: every fair run eventually reaches a state where `q` holds. */
  | { readonly kind: 'eventually'; readonly name: string; readonly q: () => boolean; readonly owner?: number }
  /** Liveness: whenever `p` holds, every fair continuation eventually reaches `q` (p ~> q). */
  | { readonly kind: 'leadsTo'; readonly name: string; readonly p: () => boolean; readonly q: () => boolean; readonly owner?: number };

export interface TransitionSystem {
  /** Number of u32 words in a packed state. */
  readonly stateWords: number;
  /** Thread names. Weak fairness is per thread. */
  readonly threads: readonly string[];
  /** Every action, by id, in a fixed order. */
  readonly actions: readonly ActionLabel[];
  /** Writes the initial state into `out` (length `stateWords`). */
  initial(out: Uint32Array): void;
  /** Makes `state` current. The system may keep a reference only until the next `load`. */
  load(state: Uint32Array): void;
  /**
   * Calls `emit` once per enabled action of the current state, in increasing action id, with its
   * successor. `next` is a scratch buffer, valid only during the call: copy it to keep it.
   * Deterministic: the same state always yields the same (action, next) sequence.
   */
  successors(emit: (action: number, next: Uint32Array) => void): void;
  /** True when the current state is an intended final state (no successors there is no deadlock). */
  isFinal(): boolean;
  /** Decodes a packed state for reports (not on the hot path). */
  describe(state: Uint32Array): StateDescription;
}
