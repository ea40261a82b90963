/**
 * Counterexamples in Apalache's Informal Trace Format (ITF, ADR-015,
 * https://apalache-mc.org/docs/adr/015adr-trace.html), which Quint and ITF viewers read.
 *
 * Encoding: a variable reported as `name[a][b]` becomes the ITF variable `name`, a map (`#map`)
 * from `a` to a map from `b` to the value; plain names stay scalars. Integers are
 * `{"#bigint": "..."}`, strings and booleans are JSON strings and booleans, arrays are lists and
 * plain objects records. The control state of every thread is the variable `pc`, a map from
 * thread name to state name (as in PlusCal). Each state's `#meta` holds its `index` and, after
 * the first, the `thread` and `action` of the step that led to it. A lasso has `loop`: the index
 * of the state where the cycle starts (the last state equals it, or it is the last state when the
 * run stutters there forever).
 */
import { type Counterexample, statesOf, type VarValues } from './counterexample.ts';

export type ItfValue =
  | string
  | boolean
  | readonly ItfValue[]
  | { readonly '#bigint': string }
  | { readonly '#map': readonly (readonly [ItfValue, ItfValue])[] }
  | { readonly [field: string]: ItfValue };

export interface ItfState {
  readonly '#meta': { readonly index: number; readonly thread?: string; readonly action?: string };
  readonly [variable: string]: ItfValue | ItfState['#meta'];
}

export interface ItfTrace {
  readonly '#meta': Readonly<Record<string, unknown>>;
  readonly vars: readonly string[];
  readonly states: readonly ItfState[];
  readonly loop?: number;
}

/** The ITF variable holding every thread's control state. */
export const PC_VARIABLE = 'pc';

function value(x: unknown, where: string): ItfValue {
  if (typeof x === 'string' || typeof x === 'boolean') return x;
  if (typeof x === 'number' && Number.isInteger(x)) return { '#bigint': String(x) };
  if (typeof x === 'bigint') return { '#bigint': x.toString() };
  if (Array.isArray(x)) return x.map((e, i) => value(e, `${where}[${i}]`));
  if (typeof x === 'object' && x !== null) {
    return Object.fromEntries(
      Object.entries(x).map(([k, v]) => {
        if (k.startsWith('#')) throw new Error(`ITF: record field '${k}' of ${where} starts with '#'`);
        return [k, value(v, `${where}.${k}`)];
      }),
    );
  }
  throw new Error(`ITF: ${where} = ${String(x)} has no ITF encoding`);
}

/** `name[a][b]` -> ['name', 'a', 'b']; a name without brackets -> [name]. */
function splitName(key: string): string[] {
  const m = /^([^[\]]+)((?:\[[^[\]]+\])*)$/.exec(key);
  if (m === null) return [key];
  return [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]+)\]/g)].map((g) => g[1]!)];
}

/** Nested key paths -> nested ITF maps, keys in first-seen order. */
type Tree = { leaf: true; value: ItfValue } | { leaf: false; children: Map<string, Tree> };

function toItfValue(tree: Tree): ItfValue {
  if (tree.leaf) return tree.value;
  return { '#map': [...tree.children].map(([k, t]) => [k, toItfValue(t)] as const) };
}

/** The ITF variables of one state: reported variables regrouped by base name, and `pc`. */
function itfVariables(threads: Readonly<Record<string, string>>, vars: VarValues): Map<string, ItfValue> {
  const roots = new Map<string, Tree>();
  for (const [key, x] of Object.entries(vars)) {
    const [name, ...path] = splitName(key);
    if (name === PC_VARIABLE) throw new Error(`ITF: a model variable is named '${PC_VARIABLE}', which holds the threads' control states`);
    const leaf: Tree = { leaf: true, value: value(x, key) };
    if (path.length === 0) {
      if (roots.has(name!)) throw new Error(`ITF: variable '${name}' is reported both as a scalar and indexed`);
      roots.set(name!, leaf);
      continue;
    }
    let node = roots.get(name!) ?? { leaf: false, children: new Map<string, Tree>() };
    roots.set(name!, node);
    for (let i = 0; i < path.length; i++) {
      if (node.leaf) throw new Error(`ITF: variable '${key}' is reported both as a scalar and indexed`);
      const child: Tree = node.children.get(path[i]!) ?? (i === path.length - 1 ? leaf : { leaf: false, children: new Map<string, Tree>() });
      node.children.set(path[i]!, child);
      node = child;
    }
  }
  const out = new Map<string, ItfValue>([[PC_VARIABLE, { '#map': Object.entries(threads).map(([t, s]) => [t, s] as const) }]]);
  for (const [name, tree] of roots) out.set(name, toItfValue(tree));
  return out;
}

/**
 * The counterexample as an ITF trace. `meta` is merged into the trace's `#meta` (after `format`
 * and `format-description`): put the source, the violated property, a description there.
 */
export function toItf(cex: Counterexample, meta: Readonly<Record<string, unknown>> = {}): ItfTrace {
  const full = statesOf(cex);
  const states = full.map((s, index): ItfState => {
    const step = index > 0 ? cex.steps[index - 1]! : null;
    const stateMeta = step === null ? { index } : { index, thread: step.thread, action: step.action };
    return { '#meta': stateMeta, ...Object.fromEntries(itfVariables(s.threads, s.vars)) };
  });
  const vars = [...itfVariables(cex.initial.threads, cex.initial.vars).keys()];
  return {
    '#meta': { format: 'ITF', 'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html', ...meta },
    vars,
    states,
    ...(cex.loopStart !== null ? { loop: cex.loopStart } : {}),
  };
}
