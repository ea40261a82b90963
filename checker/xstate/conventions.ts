/**
 * The conventions an XState v5 machine must follow to be checked by kvmcheck.
 *
 * - The root is `type: 'parallel'`; each root child is one *thread* (a region) whose children are
 *   atomic states (program counters). A region's `type: 'final'` state marks an intended end.
 * - Every transition is keyed by an event type handled by exactly one region (an event is one
 *   atomic step of one thread). Events carry no payload: a nondeterministic choice is several
 *   event types. By convention an event type is `<thread>.<action>`.
 * - Guards are pure functions of the context (inline or named in `setup({ guards })`); actions
 *   are `assign(...)` only. No entry/exit actions, `always`, `after`, `invoke` or nested states.
 * - The context holds only bounded integers, booleans and fixed-size arrays of them, declared in
 *   the root's `meta.kvmcheck.vars` so that a state packs into a fixed number of 32-bit words.
 * - `meta.kvmcheck.groups` names groups of threads (e.g. `vcpu: ['vcpu0', 'vcpu1']`); an array
 *   variable's `dims` index it by the members of groups. `symmetric` lists the groups whose
 *   members are interchangeable (symmetry reduction permutes them). A model never stores a
 *   thread's index as a value: it keeps per-thread columns instead, so permuting threads
 *   permutes columns.
 * - `meta.kvmcheck.shared` names the variables that are shared memory for a weak memory model
 *   (checker/memory/); every other variable (program-counter-like bookkeeping, ghost state) stays
 *   sequentially consistent. A transition that writes a shared variable declares how, in its own
 *   `meta.kvmcheck.access` ({@link MemoryAccess}); a transition that only reads shared variables
 *   needs no declaration (plain loads) unless it is also a full fence. Under `sc` declarations
 *   change nothing.
 */

/**
 * How one transition accesses shared memory (the variables it reads and writes are observed, not
 * declared): `store` plain store(s) (WRITE_ONCE, smp_store_release); `rmw` a fully ordered
 * read-modify-write (xchg, value-returning atomics; on x86 every locked instruction drains the
 * store buffer first); `fence` the step's accesses together with a full barrier (smp_mb(),
 * smp_store_mb()); `set_bit` ORs the bits in `meta.kvmcheck.bits` into one shared element (locked
 * on x86, ordering nothing on arm64); `cmpxchg` a compare-and-exchange (locked on x86; on arm64
 * fully ordered only when it succeeds, a failed one is a plain load).
 */
export type MemoryAccess = 'store' | 'rmw' | 'fence' | 'set_bit' | 'cmpxchg';
export const MEMORY_ACCESSES: readonly MemoryAccess[] = ['store', 'rmw', 'fence', 'set_bit', 'cmpxchg'];

/** Domain of a context variable (each element of an array variable). */
export type VarDomain =
  | {
      readonly type: 'int';
      readonly max: number;
      readonly dims?: readonly string[];
      /** Reports show value i as names[i] (an enum). */
      readonly names?: readonly string[];
      /** Reports show the value as the `|`-joined names of its set bits (a flag set). */
      readonly flags?: readonly string[];
    }
  | { readonly type: 'bool'; readonly dims?: readonly string[] };

/** What a machine declares in `meta.kvmcheck` on its root. */
export interface ModelMeta {
  readonly vars: Readonly<Record<string, VarDomain>>;
  readonly groups?: Readonly<Record<string, readonly string[]>>;
  readonly symmetric?: readonly string[];
  /** Shared-memory variables (weak memory models buffer their stores). */
  readonly shared?: readonly string[];
}

/** The key under the root's `meta` that holds the {@link ModelMeta}. */
export const META_KEY = 'kvmcheck';

/** A machine that breaks the conventions. The message names what and where. */
export class ConventionError extends Error {
  override name = 'ConventionError';
}
