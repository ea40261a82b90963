/**
 * Thread kinds and action kinds: the names a random schedule and its coverage report group by.
 * A thread's kind is its name without trailing digits (`vcpu12` -> `vcpu`); an action's kind is its
 * thread's kind plus its name, with a trailing `:<thread>` target normalized to `:<kind>`
 * (`kvm_make_request(X):vcpu3` -> `kvm_make_request(X):vcpu`).
 */
import type { ActionLabel } from '../engine/TransitionSystem.ts';

export const threadKind = (thread: string): string => thread.replace(/\d+$/, '');

/** The kinds of a system's threads, numbered in order of first appearance. */
export interface ThreadKinds {
  /** Kind id of each thread. */
  readonly kindOf: Int32Array;
  /** Name of each kind id. */
  readonly kinds: readonly string[];
  /** Number of threads of each kind id. */
  readonly sizes: readonly number[];
}

export function threadKinds(threads: readonly string[]): ThreadKinds {
  const kinds: string[] = [];
  const sizes: number[] = [];
  const kindOf = Int32Array.from(threads, (t) => {
    const name = threadKind(t);
    let id = kinds.indexOf(name);
    if (id < 0) {
      id = kinds.length;
      kinds.push(name);
      sizes.push(0);
    }
    sizes[id]!++;
    return id;
  });
  return { kindOf, kinds, sizes };
}

/** The kinds of a system's actions. */
export interface ActionKinds {
  /** Kind id of each action id. */
  readonly kindOf: Int32Array;
  /** Per kind id: its thread kind and its normalized action name. */
  readonly kinds: readonly { readonly threadKind: string; readonly action: string }[];
}

export function actionKinds(system: { readonly threads: readonly string[]; readonly actions: readonly ActionLabel[] }): ActionKinds {
  const threadNames = new Set(system.threads);
  const ids = new Map<string, number>();
  const kinds: { threadKind: string; action: string }[] = [];
  const kindOf = Int32Array.from(system.actions, ({ thread, name }) => {
    const colon = name.lastIndexOf(':');
    const target = colon < 0 ? '' : name.slice(colon + 1);
    const action = threadNames.has(target) ? `${name.slice(0, colon + 1)}${threadKind(target)}` : name;
    const kind = { threadKind: threadKind(system.threads[thread]!), action };
    const key = `${kind.threadKind}\u0000${kind.action}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = kinds.length;
      ids.set(key, id);
      kinds.push(kind);
    }
    return id;
  });
  return { kindOf, kinds };
}
