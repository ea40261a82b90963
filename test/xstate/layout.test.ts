/**
 * StateLayout (checker/xstate/layout.ts): packing a configuration and a context into words and
 * back, on a small hand-written machine with int, bool, 1-D and 2-D array variables over groups.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { ConventionError } from '../../checker/xstate/conventions.ts';
import { type Context, StateLayout } from '../../checker/xstate/layout.ts';
import { arbValueContext, fcSeed, packed, type ValueContext } from './helpers.ts';

const VARS = {
  n: { type: 'int', max: 5 },
  flag: { type: 'bool' },
  zero: { type: 'int', max: 0 },
  /** 31 bits: cannot share a word with much, so the layout spans several words. */
  big: { type: 'int', max: 2 ** 31 - 1 },
  arr: { type: 'int', max: 3, dims: ['t'] },
  bits: { type: 'bool', dims: ['slot'] },
  grid: { type: 'int', max: 6, dims: ['t', 'slot'] },
  bgrid: { type: 'bool', dims: ['slot', 't'] },
} as const;

const INITIAL: Context = {
  n: 0,
  flag: false,
  zero: 0,
  big: 0,
  arr: [0, 0],
  bits: [false, false, false],
  grid: [
    [0, 0, 0],
    [0, 0, 0],
  ],
  bgrid: [
    [false, false],
    [false, false],
    [false, false],
  ],
};

const machine = createMachine({
  id: 'layout',
  type: 'parallel',
  context: INITIAL,
  meta: { kvmcheck: { groups: { t: ['a', 'b'], slot: ['s0', 's1', 's2'] }, vars: VARS } },
  states: {
    a: { initial: 'a0', states: { a0: {}, a1: {}, a2: { type: 'final' } } },
    b: { initial: 'b0', states: { b0: {}, b1: {}, b2: {}, b3: {}, b4: { type: 'final' } } },
  },
});

const layout = new StateLayout(machine);
const arb = arbValueContext(layout);

/** Every leaf of a context as [variable, path, value]. */
function leaves(ctx: Context): [string, number[], unknown][] {
  const out: [string, number[], unknown][] = [];
  const walk = (name: string, x: unknown, path: number[]): void => {
    if (!Array.isArray(x)) out.push([name, path, x]);
    else
      x.forEach((y, i) => {
        walk(name, y, [...path, i]);
      });
  };
  for (const [name, x] of Object.entries(ctx)) walk(name, x, []);
  return out;
}

/** A deep copy of `ctx` with the leaf at `path` of `name` replaced by `x`. */
function withLeaf(ctx: Context, name: string, path: readonly number[], x: unknown): Context {
  const copy = structuredClone(ctx);
  if (path.length === 0) copy[name] = x;
  else {
    let row = copy[name] as unknown[];
    for (const i of path.slice(0, -1)) row = row[i] as unknown[];
    row[path[path.length - 1]!] = x;
  }
  return copy;
}

function conventionError(f: () => void): ConventionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConventionError);
    return e as ConventionError;
  }
  throw new Error('expected a ConventionError, nothing was thrown');
}

const packInto = (vc: ValueContext, out = new Uint32Array(layout.stateWords)): Uint32Array => {
  layout.pack(vc.value, vc.context, out);
  return out;
};

describe('StateLayout: shape', () => {
  it('lays out every thread and variable, over several words', () => {
    expect(layout.threads.map((t) => t.name)).toEqual(['a', 'b']);
    expect(layout.threads[1]!.states).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    expect(layout.threads[1]!.isFinal).toEqual([false, false, false, false, true]);
    expect(layout.vars.map((v) => [v.name, v.shape, v.count, v.max])).toEqual([
      ['n', [], 1, 5],
      ['flag', [], 1, 1],
      ['zero', [], 1, 0],
      ['big', [], 1, 2 ** 31 - 1],
      ['arr', [2], 2, 3],
      ['bits', [3], 3, 1],
      ['grid', [2, 3], 6, 6],
      ['bgrid', [3, 2], 6, 1],
    ]);
    expect(layout.stateWords).toBeGreaterThanOrEqual(3);
  });

  it('packs the initial context to its declared encoding (all zero)', () => {
    const s = packInto({ value: { a: 'a0', b: 'b0' }, context: INITIAL });
    expect(Array.from(s)).toEqual(new Array(layout.stateWords).fill(0));
    expect(layout.readContext(s)).toEqual(INITIAL);
  });
});

describe('StateLayout: pack / unpack round trip', () => {
  it('readContext(pack(ctx)) == ctx and value(pack) == value, for any in-domain state', () => {
    fc.assert(
      fc.property(arb, (vc) => {
        const s = packed(layout, vc);
        expect(layout.readContext(s)).toEqual(vc.context);
        expect(layout.value(s)).toEqual(vc.value);
      }),
      { numRuns: 1000, ...fcSeed() },
    );
  });

  it('pack does not depend on what the output buffer held before', () => {
    fc.assert(
      fc.property(arb, fc.nat(), (vc, junk) => {
        const dirty = new Uint32Array(layout.stateWords).fill(junk >>> 0 || 0xffffffff);
        expect(Array.from(packInto(vc, dirty))).toEqual(Array.from(packed(layout, vc)));
      }),
      { numRuns: 300, ...fcSeed() },
    );
  });

  it('different states pack to different words (injective)', () => {
    fc.assert(
      fc.property(arb, arb, (x, y) => {
        const same = JSON.stringify([x.value, x.context]) === JSON.stringify([y.value, y.context]);
        expect(packed(layout, x).join() === packed(layout, y).join()).toBe(same);
      }),
      { numRuns: 500, ...fcSeed() },
    );
  });

  it('refreshContext updates a context made by readContext in place to the new state', () => {
    fc.assert(
      fc.property(arb, arb, (x, y) => {
        const ctx = layout.readContext(packed(layout, x));
        const grid = ctx['grid'];
        layout.refreshContext(packed(layout, y), ctx);
        expect(ctx).toEqual(y.context);
        expect(ctx['grid']).toBe(grid);
      }),
      { numRuns: 300, ...fcSeed() },
    );
  });

  it('writing one element or one thread state changes exactly that element or thread', () => {
    fc.assert(
      fc.property(arb, fc.nat(), fc.nat(), (vc, pick, raw) => {
        const s = packed(layout, vc);
        const nThreads = layout.threads.length;
        const nElements = layout.vars.reduce((a, v) => a + v.count, 0);
        const which = pick % (nThreads + nElements);
        if (which < nThreads) {
          const t = layout.threads[which]!;
          const idx = raw % t.states.length;
          layout.setThreadState(s, which, idx);
          expect(layout.value(s)).toEqual({ ...vc.value, [t.name]: t.states[idx] });
          expect(layout.readContext(s)).toEqual(vc.context);
          return;
        }
        let e = which - nThreads;
        let v = layout.vars[0]!;
        for (const x of layout.vars) {
          v = x;
          if (e < x.count) break;
          e -= x.count;
        }
        const x = v.max === 0 ? 0 : raw % (v.max + 1);
        layout.setElement(s, v, e, x);
        expect(layout.element(s, v, e)).toBe(x);
        const path = v.shape.length === 2 ? [Math.floor(e / v.shape[1]!), e % v.shape[1]!] : v.shape.length === 1 ? [e] : [];
        expect(layout.readContext(s)).toEqual(withLeaf(vc.context, v.name, path, v.domain.type === 'bool' ? x === 1 : x));
        expect(layout.value(s)).toEqual(vc.value);
      }),
      { numRuns: 1000, ...fcSeed() },
    );
  });
});

describe('StateLayout: out-of-domain values throw a ConventionError naming the variable', () => {
  /** Values outside the domain of an element of `name` that are neither 0/1 numbers for a bool nor in range. */
  const junkFor = (name: string): fc.Arbitrary<unknown> => {
    const v = layout.varByName.get(name)!;
    const common: fc.Arbitrary<unknown>[] = [
      fc.integer({ min: v.max + 1, max: 2 ** 32 + 5 }),
      fc.integer({ min: -(2 ** 31), max: -1 }),
      fc.double({ min: 0.01, max: v.max + 0.99, noNaN: true }).filter((d) => !Number.isInteger(d)),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, null, undefined, '1', '0', {}),
      fc.constant([0]),
    ];
    if (v.domain.type === 'int') common.push(fc.boolean());
    return fc.oneof(...common);
  };

  it('any single out-of-domain element, anywhere', () => {
    const arbBad = arb.chain((vc) => {
      const ls = leaves(vc.context);
      return fc.record({ vc: fc.constant(vc), leaf: fc.constantFrom(...ls) }).chain(({ vc, leaf }) => fc.record({ vc: fc.constant(vc), leaf: fc.constant(leaf), junk: junkFor(leaf[0]) }));
    });
    fc.assert(
      fc.property(arbBad, ({ vc, leaf: [name, path], junk }) => {
        const bad = withLeaf(vc.context, name, path, junk);
        const err = conventionError(() => layout.pack(vc.value, bad, new Uint32Array(layout.stateWords)));
        expect(err.message).toMatch(new RegExp(`context\\.${name}\\b`));
      }),
      { numRuns: 1000, ...fcSeed() },
    );
  });

  it.each([
    ['n', 6],
    ['n', -1],
    ['n', 2.5],
    ['n', true],
    ['n', '3'],
    ['zero', 1],
    ['big', 2 ** 31],
    ['flag', 2],
    ['flag', 'true'],
    ['arr', [0, 0, 0]],
    ['arr', [0]],
    ['arr', 0],
    ['grid', [0, 0, 0]],
    ['grid', [[0, 0, 0], [0, 0]]],
    ['grid', [[0, 0, 0], [0, 0, 7]]],
    ['bits', [false, false, 'x']],
    ['bgrid', [[false, false], [false, false], [false, null]]],
  ] as const)('context.%s = %j', (name, x) => {
    const err = conventionError(() => layout.pack({ a: 'a0', b: 'b0' }, { ...INITIAL, [name]: x }, new Uint32Array(layout.stateWords)));
    expect(err.message).toMatch(new RegExp(`context\\.${name}\\b`));
  });

  it('an undeclared context key', () => {
    const err = conventionError(() => layout.pack({ a: 'a0', b: 'b0' }, { ...INITIAL, extra: 0 }, new Uint32Array(layout.stateWords)));
    expect(err.message).toContain('context.extra');
  });

  it('a declared variable missing from the context', () => {
    const { flag: _flag, ...rest } = INITIAL;
    const err = conventionError(() => layout.pack({ a: 'a0', b: 'b0' }, rest, new Uint32Array(layout.stateWords)));
    expect(err.message).toContain('context.flag');
  });

  it('an unknown thread state names the thread', () => {
    const err = conventionError(() => layout.pack({ a: 'a0', b: 'nope' }, INITIAL, new Uint32Array(layout.stateWords)));
    expect(err.message).toContain("'b'");
    expect(err.message).toContain('nope');
  });

  // Regression (checker/xstate/layout.ts, `checked`): a number 0/1 is accepted for a `bool` variable and
  // unpacks as false/true, so readContext(pack(ctx)) != ctx and a model that assigns 1 to a bool
  // is silently checked with `true` (a guard `context.flag === 1` is true under XState, false in
  // both checker paths). Expected: a ConventionError like every other out-of-domain value.
  it.each([
    ['flag', 1],
    ['bgrid', [[false, false], [1, false], [false, false]]],
  ] as const)('a number for bool variable context.%s = %j must throw', (name, x) => {
    const err = conventionError(() => layout.pack({ a: 'a0', b: 'b0' }, { ...INITIAL, [name]: x }, new Uint32Array(layout.stateWords)));
    expect(err.message).toMatch(new RegExp(`context\\.${name}\\b`));
  });
});

describe('StateLayout: bad declarations', () => {
  const declare = (vars: Record<string, unknown>, groups: Record<string, string[]> = { t: ['a'] }) =>
    createMachine({
      type: 'parallel',
      context: {},
      meta: { kvmcheck: { groups, vars } },
      states: { a: { initial: 'x', states: { x: {} } } },
    } as never);

  it('a variable indexed by an unknown group names the variable and the group', () => {
    const err = conventionError(() => new StateLayout(declare({ q: { type: 'int', max: 1, dims: ['nope'] } })));
    expect(err.message).toContain("'q'");
    expect(err.message).toContain("'nope'");
  });

  it.each([[-1], [1.5], [2 ** 31], [Number.NaN]])('an int max of %d names the variable', (max) => {
    const err = conventionError(() => new StateLayout(declare({ q: { type: 'int', max } })));
    expect(err.message).toContain("'q'");
  });
});
