/**
 * Generated code over the memo tables (learnedMemo.ts), built once the memos have settled:
 *
 * - `successorCode`: one function enumerating the successors of every thread — per thread a
 *   `switch` on its control state, per event its memo's key read inline and looked up in the
 *   memo's dense table. A state then costs one call instead of a call per thread and event (a
 *   per-event loop calls a different generated key reader each time, which V8 cannot inline).
 * - `conjunctionCode`: one function testing every conjunct of a property the same way.
 *
 * A memo whose key is too long for a dense table is called (its `lookUp`). The generated code
 * reads the tables as they are when it is built: the caller rebuilds it after any memo grows its
 * key (LearnedMemo's onRekey), since the keys and tables change then.
 */
import { concatSource } from './fieldCode.ts';
import type { StateLayout } from './layout.ts';
import type { LearnedMemo } from './learnedMemo.ts';

/** A successor as the generated code applies it: per word, the bits kept and the bits set. */
export interface WordEdits {
  readonly action: number;
  readonly keep: Int32Array;
  readonly set: Int32Array;
}

/**
 * Every distinct WordEdits of a system in one flat array (`edits`, which grows: read it again after
 * adding), so that the memo tables of the generated code hold small integers and a successor's
 * edits are one cache line away: entry e is `edits[e*stride]` (its action), then the W keep words,
 * then the W set words.
 */
export class EditTable {
  readonly stride: number;
  edits: Int32Array;
  private count = 0;

  constructor(private readonly words: number) {
    this.stride = 1 + 2 * words;
    this.edits = new Int32Array(64 * this.stride);
  }

  /** Appends `e`; returns its entry number. */
  add(e: WordEdits): number {
    const n = this.count++;
    if (this.count * this.stride > this.edits.length) {
      const grown = new Int32Array(this.edits.length * 2);
      grown.set(this.edits);
      this.edits = grown;
    }
    const at = n * this.stride;
    this.edits[at] = e.action;
    this.edits.set(e.keep, at + 1);
    this.edits.set(e.set, at + 1 + this.words);
    return n;
  }
}

/**
 * Emits the successors of state `s` (written into `next`, a scratch buffer) in increasing action id;
 * built with a step table, each with its step (the table's entry for the step number) too.
 */
export type GeneratedSuccessors<Step = never> = (s: Uint32Array, next: Uint32Array, emit: (action: number, next: Uint32Array, step: Step) => void) => void;

/**
 * Generated code standing in for memo-by-memo lookups once the memos have settled: built after
 * `after` uses of the lookups with no memo growing its key, dropped (and the count restarted) when
 * one does — `unsettle` is the memos' onRekey.
 */
export class SettledCode<F> {
  /** The generated function, or null while the memos are still settling. */
  code: F | null = null;
  private uses = 0;

  constructor(
    private readonly after: number,
    private readonly build: () => F,
  ) {}

  readonly unsettle = (): void => {
    this.code = null;
    this.uses = 0;
  };

  /** Counts one use of the memo-by-memo lookups; builds the code once the memos have settled. */
  used(): void {
    if (++this.uses >= this.after) this.code = this.build();
  }
}

/** A memo and the full lookup (on a miss, or for a key too long for a dense table). */
export interface MemoLookUp<R> {
  readonly memo: LearnedMemo<R>;
  readonly lookUp: (s: Uint32Array) => R;
}

/** Builds generated code that reads state words as locals s0, s1, ... and memo results as `r`. */
class MemoCodeBuilder {
  private readonly tables: (unknown[] | null)[] = [];
  private readonly lookUps: ((s: Uint32Array) => unknown)[] = [];
  readonly lines: string[];

  constructor(private readonly layout: StateLayout) {
    this.lines = [...Array.from({ length: layout.stateWords }, (_, w) => `const s${w} = s[${w}] | 0;`), 'let r = null;'];
  }

  /** Appends `r = <memo's result for s>`; `afterMiss` runs after a full lookup. */
  lookUp<R>({ memo, lookUp }: MemoLookUp<R>, afterMiss = ''): void {
    const k = this.lookUps.length;
    this.lookUps.push(lookUp);
    const table = memo.denseTable;
    this.tables.push(table);
    this.lines.push(
      table === null
        ? `r = L[${k}](s); ${afterMiss}`
        : `r = T[${k}][${concatSource(this.layout, memo.keyFields, (w) => `s${w}`)}]; if (r === undefined) { r = L[${k}](s); ${afterMiss} }`,
    );
  }

  /** The function `(params) => { lines }`, `s` being its first parameter; `E` and `S` are passed on to it. */
  build(params: string, E: unknown = null, S: unknown = null): unknown {
    return new Function('T', 'L', 'E', 'S', `return function (${params}) {\n${this.lines.join('\n')}\n};`)(this.tables, this.lookUps, E, S);
  }
}

/**
 * Generates the successor function of `threads`, whose events are memos[t][state][i]: each memo's
 * result is an entry of `table` (negative: the event is disabled) and, when `steps` is given, of
 * `steps` too (emitted with each successor; read when emitted, so steps added later are seen).
 */
export function successorCode<Step = never>(
  layout: StateLayout,
  threads: readonly number[],
  memos: readonly (readonly (readonly MemoLookUp<number>[])[])[],
  table: EditTable,
  steps: readonly Step[] | null = null,
): GeneratedSuccessors<Step> {
  const code = new MemoCodeBuilder(layout);
  const W = layout.stateWords;
  code.lines.push('let e = E.edits;');
  const apply = Array.from({ length: W }, (_, w) => `next[${w}] = (s${w} & e[o + ${1 + w}]) | e[o + ${1 + W + w}];`).join(' ');
  for (const t of threads) {
    code.lines.push(`switch ((s${layout.fieldWord[t]} >>> ${layout.fieldShift[t]}) & ${layout.fieldMask[t]}) {`);
    memos[t]!.forEach((events, pc) => {
      if (events.length === 0) return;
      code.lines.push(`case ${pc}:`);
      for (const event of events) {
        code.lookUp(event, 'e = E.edits;');
        code.lines.push(`if (r >= 0) { const o = r * ${table.stride}; ${apply} emit(e[o], next${steps === null ? '' : ', S[r]'}); }`);
      }
      code.lines.push('break;');
    });
    code.lines.push('}');
  }
  return code.build('s, next, emit', table, steps) as GeneratedSuccessors<Step>;
}

/** Generates the test of state `s` against every conjunct (true when all hold; stops at the first false). */
export function conjunctionCode(layout: StateLayout, conjuncts: readonly MemoLookUp<boolean>[]): (s: Uint32Array) => boolean {
  const code = new MemoCodeBuilder(layout);
  for (const conjunct of conjuncts) {
    code.lookUp(conjunct);
    code.lines.push('if (!r) return false;');
  }
  code.lines.push('return true;');
  return code.build('s') as (s: Uint32Array) => boolean;
}
