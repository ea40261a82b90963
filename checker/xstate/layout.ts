/**
 * Packs a checked machine's configuration (one state per thread) and context into a fixed number
 * of 32-bit words, and unpacks it again. Built once per machine from its conventions
 * (see conventions.ts); used by the compiled and the interpreted transition systems alike, so both
 * agree on the encoding by construction.
 */
import type { AnyStateMachine } from 'xstate';
import { ConventionError, META_KEY, type ModelMeta, type VarDomain } from './conventions.ts';

/** One thread (a region of the root). */
export interface ThreadLayout {
  readonly name: string;
  /** Child state keys, in definition order; the packed value is the index. */
  readonly states: readonly string[];
  readonly isFinal: readonly boolean[];
}

/** One context variable: its shape and where each of its elements lives. */
export interface VarLayout {
  readonly name: string;
  readonly domain: VarDomain;
  /** Length of each dimension (group sizes), outermost first; [] for a scalar. */
  readonly shape: readonly number[];
  /** Index of its first element in the flat element tables. */
  readonly first: number;
  readonly count: number;
  readonly max: number;
}

export type Context = Record<string, unknown>;

/** A bit field inside the packed words. */
interface Field {
  word: number;
  shift: number;
  bits: number;
}

function formatValue(domain: VarDomain, n: number): string | number | boolean {
  if (domain.type === 'bool') return n === 1;
  if (domain.names) return domain.names[n] ?? n;
  if (domain.flags) {
    const set = domain.flags.filter((_, bit) => (n & (1 << bit)) !== 0);
    return set.length === 0 ? '0' : set.join('|');
  }
  return n;
}

function bitsFor(max: number): number {
  return max <= 0 ? 1 : 32 - Math.clz32(max);
}

export class StateLayout {
  readonly threads: readonly ThreadLayout[];
  readonly vars: readonly VarLayout[];
  readonly varByName: ReadonlyMap<string, VarLayout>;
  readonly groups: Readonly<Record<string, readonly string[]>>;
  readonly symmetric: readonly string[];
  readonly stateWords: number;
  /**
   * Flat field tables: one bit field per thread (field index = thread index), then one per
   * variable element (field index = elementBase + v.first + i).
   */
  readonly fieldWord: Int32Array;
  readonly fieldShift: Int32Array;
  readonly fieldMask: Uint32Array;
  readonly elementBase: number;

  constructor(machine: AnyStateMachine) {
    const root = machine.root;
    if (root.type !== 'parallel') throw new ConventionError('the root state must be `type: "parallel"` (one region per thread)');
    const meta = (root.meta as Record<string, unknown> | undefined)?.[META_KEY] as ModelMeta | undefined;
    if (!meta || typeof meta.vars !== 'object') throw new ConventionError(`the root needs meta.${META_KEY}.vars declaring the context domains`);
    this.groups = meta.groups ?? {};
    this.symmetric = meta.symmetric ?? [];
    this.threads = Object.values(root.states).map((region) => {
      const states = Object.values(region.states);
      if (states.length === 0) throw new ConventionError(`thread '${region.key}' has no states`);
      for (const s of states) {
        if (s.type !== 'atomic' && s.type !== 'final') throw new ConventionError(`state '${region.key}.${s.key}' must be atomic (no nested states)`);
      }
      return { name: region.key, states: states.map((s) => s.key), isFinal: states.map((s) => s.type === 'final') };
    });
    const fields: Field[] = [];
    let word = 0;
    let shift = 0;
    const place = (bits: number): void => {
      if (shift + bits > 32) {
        word++;
        shift = 0;
      }
      fields.push({ word, shift, bits });
      shift += bits;
    };
    for (const t of this.threads) place(bitsFor(t.states.length - 1));
    this.elementBase = fields.length;
    const vars: VarLayout[] = [];
    for (const [name, domain] of Object.entries(meta.vars)) {
      const shape = (domain.dims ?? []).map((g) => {
        const members = this.groups[g];
        if (!members) throw new ConventionError(`variable '${name}' is indexed by unknown group '${g}'`);
        return members.length;
      });
      if (shape.length > 2) throw new ConventionError(`variable '${name}': at most 2 dimensions are supported`);
      if (new Set(domain.dims).size !== (domain.dims ?? []).length) throw new ConventionError(`variable '${name}' is indexed twice by one group`);
      const count = shape.reduce((a, b) => a * b, 1);
      const max = domain.type === 'bool' ? 1 : domain.max;
      if (!Number.isInteger(max) || max < 0 || max >= 2 ** 31) throw new ConventionError(`variable '${name}' needs an integer max in [0, 2^31)`);
      vars.push({ name, domain, shape, first: fields.length - this.elementBase, count, max });
      for (let i = 0; i < count; i++) place(bitsFor(max));
    }
    this.vars = vars;
    this.varByName = new Map(vars.map((v) => [v.name, v]));
    this.stateWords = word + 1;
    this.fieldWord = Int32Array.from(fields, (f) => f.word);
    this.fieldShift = Int32Array.from(fields, (f) => f.shift);
    this.fieldMask = Uint32Array.from(fields, (f) => (f.bits === 32 ? 0xffffffff : (1 << f.bits) - 1) >>> 0);
  }

  get fieldCount(): number {
    return this.fieldWord.length;
  }

  readField(state: Uint32Array, field: number): number {
    return this.read(state, field);
  }

  private read(state: Uint32Array, field: number): number {
    return (state[this.fieldWord[field]!]! >>> this.fieldShift[field]!) & this.fieldMask[field]!;
  }

  private write(state: Uint32Array, field: number, value: number): void {
    const w = this.fieldWord[field]!;
    const s = this.fieldShift[field]!;
    state[w] = (state[w]! & ~(this.fieldMask[field]! << s)) | (value << s);
  }

  /** The state index of thread `t` in a packed state. */
  threadState(state: Uint32Array, t: number): number {
    return this.read(state, t);
  }

  setThreadState(state: Uint32Array, t: number, index: number): void {
    this.write(state, t, index);
  }

  /** Element `i` (flat, row-major) of variable `v`, as a number. */
  element(state: Uint32Array, v: VarLayout, i: number): number {
    return this.read(state, this.elementBase + v.first + i);
  }

  /** Where element `i` of variable `v` lives in the packed words. */
  elementField(v: VarLayout, i: number): { word: number; shift: number; mask: number } {
    const f = this.elementBase + v.first + i;
    return { word: this.fieldWord[f]!, shift: this.fieldShift[f]!, mask: this.fieldMask[f]! };
  }

  setElement(state: Uint32Array, v: VarLayout, i: number, value: number): void {
    this.write(state, this.elementBase + v.first + i, value);
  }

  /** Writes one variable's value (a number, boolean or nested array of them) into `state`. */
  writeVar(state: Uint32Array, v: VarLayout, value: unknown): void {
    const base = this.elementBase + v.first;
    const depth = v.shape.length;
    if (depth === 0) {
      this.write(state, base, this.checked(v, value));
    } else if (depth === 1) {
      const row = this.checkedRow(v, value, 0);
      for (let i = 0; i < row.length; i++) this.write(state, base + i, this.checked(v, row[i]));
    } else if (depth === 2) {
      const rows = this.checkedRow(v, value, 0);
      const n = v.shape[1]!;
      for (let i = 0; i < rows.length; i++) {
        const row = this.checkedRow(v, rows[i], 1);
        for (let j = 0; j < n; j++) this.write(state, base + i * n + j, this.checked(v, row[j]));
      }
    } else {
      throw new ConventionError(`context.${v.name}: at most 2 dimensions are supported`);
    }
  }

  private checkedRow(v: VarLayout, x: unknown, depth: number): readonly unknown[] {
    if (!Array.isArray(x) || x.length !== v.shape[depth]) {
      throw new ConventionError(`context.${v.name} must be an array of length ${v.shape[depth]} at depth ${depth}, got ${JSON.stringify(x)}`);
    }
    return x;
  }

  private checked(v: VarLayout, x: unknown): number {
    if (v.domain.type === 'bool' && typeof x !== 'boolean') throw new ConventionError(`context.${v.name} = ${JSON.stringify(x)} must be a boolean`);
    if (v.domain.type === 'int' && typeof x === 'boolean') throw new ConventionError(`context.${v.name} = ${x} must be an integer`);
    const n = typeof x === 'boolean' ? Number(x) : x;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > v.max) {
      throw new ConventionError(`context.${v.name} = ${JSON.stringify(x)} is outside its declared domain 0..${v.max}`);
    }
    return n;
  }

  /** Reads one variable into a fresh JS value (numbers/booleans, nested arrays). */
  readVar(state: Uint32Array, v: VarLayout): unknown {
    const leaf = (i: number): number | boolean => {
      const n = this.element(state, v, i);
      return v.domain.type === 'bool' ? n === 1 : n;
    };
    if (v.shape.length === 0) return leaf(0);
    let i = 0;
    const build = (depth: number): unknown[] =>
      Array.from({ length: v.shape[depth]! }, () => (depth + 1 < v.shape.length ? build(depth + 1) : leaf(i++)));
    return build(0);
  }

  /** Refreshes `ctx` (an object made by `readContext`) in place from `state`, reusing its arrays. */
  refreshContext(state: Uint32Array, ctx: Context): void {
    for (const v of this.vars) {
      const base = this.elementBase + v.first;
      const isBool = v.domain.type === 'bool';
      if (v.shape.length === 0) {
        const n = this.read(state, base);
        ctx[v.name] = isBool ? n === 1 : n;
      } else if (v.shape.length === 1) {
        const row = ctx[v.name] as unknown[];
        for (let i = 0; i < row.length; i++) {
          const n = this.read(state, base + i);
          row[i] = isBool ? n === 1 : n;
        }
      } else {
        const rows = ctx[v.name] as unknown[][];
        const m = v.shape[1]!;
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i]!;
          for (let j = 0; j < m; j++) {
            const n = this.read(state, base + i * m + j);
            row[j] = isBool ? n === 1 : n;
          }
        }
      }
    }
  }

  readContext(state: Uint32Array): Context {
    const ctx: Context = {};
    for (const v of this.vars) ctx[v.name] = this.readVar(state, v);
    return ctx;
  }

  /** Packs a configuration (state key per thread) and a context. */
  pack(value: Readonly<Record<string, string>>, context: Context, out: Uint32Array): void {
    out.fill(0);
    this.threads.forEach((t, i) => {
      const idx = t.states.indexOf(value[t.name] ?? '');
      if (idx < 0) throw new ConventionError(`thread '${t.name}' is in unknown state ${JSON.stringify(value[t.name])}`);
      this.setThreadState(out, i, idx);
    });
    for (const v of this.vars) {
      if (!(v.name in context)) throw new ConventionError(`context.${v.name} is declared but missing from the context`);
      this.writeVar(out, v, context[v.name]);
    }
    for (const key of Object.keys(context)) {
      if (!this.varByName.has(key)) throw new ConventionError(`context.${key} has no declared domain in meta.${META_KEY}.vars`);
    }
  }

  /**
   * Every variable element of a packed state by a readable name (`mode[vcpu0]`,
   * `ipi[requester1][vcpu0]`), with enum and flag values shown by name. For reports.
   */
  describeVars(state: Uint32Array): Record<string, string | number | boolean> {
    const out: Record<string, string | number | boolean> = {};
    for (const v of this.vars) {
      const dims = v.domain.dims ?? [];
      for (let i = 0; i < v.count; i++) {
        let rest = i;
        let suffix = '';
        for (let d = dims.length - 1; d >= 0; d--) {
          const n = v.shape[d]!;
          suffix = `[${this.groups[dims[d]!]![rest % n]}]${suffix}`;
          rest = Math.floor(rest / n);
        }
        out[v.name + suffix] = formatValue(v.domain, this.element(state, v, i));
      }
    }
    return out;
  }

  /** The configuration of a packed state: state key per thread. */
  value(state: Uint32Array): Record<string, string> {
    const value: Record<string, string> = {};
    this.threads.forEach((t, i) => {
      value[t.name] = t.states[this.threadState(state, i)]!;
    });
    return value;
  }
}
