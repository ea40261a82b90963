/**
 * Read tracking: a view of a packed state ({ value, context }) that records which bit fields a
 * pure function reads. Guards, assigns and predicates are pure functions of what they read, so
 * their result can be tabulated by the values of those fields (learnedMemo.ts).
 */
import type { StateView } from './compile.ts';
import type { StateLayout } from './layout.ts';

/** The set of fields read, as flags plus an insertion-ordered list. */
export class FieldRecorder {
  private readonly flags: Uint8Array;
  readonly list: number[] = [];

  constructor(fieldCount: number) {
    this.flags = new Uint8Array(fieldCount);
  }

  mark(field: number): void {
    if (this.flags[field] === 0) {
      this.flags[field] = 1;
      this.list.push(field);
    }
  }

  has(field: number): boolean {
    return this.flags[field] === 1;
  }

  reset(): void {
    for (const f of this.list) this.flags[f] = 0;
    this.list.length = 0;
  }
}

const isIndex = (key: string | symbol): boolean => typeof key === 'string' && key.length > 0 && key.charCodeAt(0) >= 48 && key.charCodeAt(0) <= 57;

/**
 * What a tracked array holds, read without recording anything: its element values and, per
 * element, whether code wrote it (null: nothing was written, the array is the state's own).
 */
export interface TrackedElements {
  /** The field of the state element the array's element 0 was read from. */
  readonly base: number;
  readonly values: readonly unknown[];
  readonly written: readonly boolean[] | null;
}

/** The key under which a tracked array gives its TrackedElements. */
export const TRACKED = Symbol('kvmcheck.tracked');

/** A view whose reads come from, and are recorded against, the state it is pointed at. */
export interface TrackingView {
  readonly view: StateView;
  /** Points the view at `state`; reads are recorded in the recorder given at creation. */
  point(state: Uint32Array): void;
}

/**
 * Creates one view for the lifetime of a compiled system: its arrays are proxies that decode each
 * element from the pointed-at packed state when read, and mark the element's field.
 */
export function createTrackingView(layout: StateLayout, rec: FieldRecorder): TrackingView {
  let state: Uint32Array = new Uint32Array(layout.stateWords);
  const decode = (field: number, isBool: boolean): number | boolean => {
    rec.mark(field);
    const n = layout.readField(state, field);
    return isBool ? n === 1 : n;
  };
  const raw = (field: number, isBool: boolean): number | boolean => {
    const n = layout.readField(state, field);
    return isBool ? n === 1 : n;
  };
  const rawRow = (length: number, base: number, isBool: boolean): unknown[] => Array.from({ length }, (_, i) => raw(base + i, isBool));
  /**
   * The copy `row.slice()` makes: reading an element code has not written records the state's
   * field (its value is the state's); writing it makes the element the code's own. So copying an
   * array to change one element does not make the step depend on the elements it only carries.
   */
  const copiedRow = (length: number, base: number, isBool: boolean): unknown[] => {
    const values = rawRow(length, base, isBool);
    const written = new Array<boolean>(length).fill(false);
    return new Proxy(values, {
      get(target, key, receiver) {
        if (key === TRACKED) return { base, values: target, written } satisfies TrackedElements;
        if (isIndex(key)) {
          const i = Number(key);
          if (i < length && !written[i]) rec.mark(base + i);
          return target[i];
        }
        return Reflect.get(target, key, receiver);
      },
      set(target, key, value, receiver) {
        if (isIndex(key) && Number(key) < length) written[Number(key)] = true;
        return Reflect.set(target, key, value, receiver);
      },
    });
  };
  const trackedRow = (length: number, base: number, isBool: boolean): unknown[] =>
    new Proxy(new Array<unknown>(length).fill(0), {
      get(target, key, receiver) {
        if (isIndex(key)) {
          const i = Number(key);
          return i < length ? decode(base + i, isBool) : undefined;
        }
        if (key === TRACKED) return { base, values: rawRow(length, base, isBool), written: null } satisfies TrackedElements;
        if (key === 'slice') {
          return (start?: number, end?: number) =>
            start === undefined && end === undefined ? copiedRow(length, base, isBool) : Array.prototype.slice.call(receiver, start, end);
        }
        return Reflect.get(target, key, receiver);
      },
    });
  const value: Record<string, string> = {};
  layout.threads.forEach((t, i) => {
    Object.defineProperty(value, t.name, { enumerable: true, get: () => t.states[decode(i, false) as number] });
  });
  const context: Record<string, unknown> = {};
  for (const v of layout.vars) {
    const base = layout.elementBase + v.first;
    const isBool = v.domain.type === 'bool';
    if (v.shape.length === 0) {
      Object.defineProperty(context, v.name, { enumerable: true, get: () => decode(base, isBool) });
      continue;
    }
    const n = v.shape[v.shape.length - 1]!;
    const tracked = v.shape.length === 1 ? trackedRow(n, base, isBool) : Array.from({ length: v.shape[0]! }, (_, r) => trackedRow(n, base + r * n, isBool));
    Object.defineProperty(context, v.name, { enumerable: true, get: () => tracked });
  }
  return {
    view: { value, context },
    point(s) {
      state = s;
    },
  };
}
