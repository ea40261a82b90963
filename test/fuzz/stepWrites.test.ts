/**
 * The fuzzer's compiled path (checker/xstate/stepMachine.ts) writes only the elements an assign
 * changed, yet still refuses, with a ConventionError naming the variable, any assigned value
 * outside its variable's declared shape or domain — whether or not the rest of the value changed.
 */
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { ConventionError } from '../../checker/xstate/index.ts';
import { compileStepSystem } from '../../checker/xstate/stepMachine.ts';

type Ctx = { n: number; on: boolean; xs: number[]; m: boolean[][] };

/** One thread whose single step assigns `update`'s result; n: 0..3, on: bool, xs: 2 x 0..3, m: 2 x 2 bool. */
function stepOnce(update: (ctx: Ctx) => Partial<Ctx>): { written: Ctx } {
  const machine = createMachine({
    type: 'parallel',
    context: { n: 1, on: false, xs: [0, 2], m: [[false, true], [false, false]] } as Ctx,
    meta: {
      kvmcheck: {
        groups: { g: ['a', 'b'], h: ['p', 'q'] },
        vars: { n: { type: 'int', max: 3 }, on: { type: 'bool' }, xs: { type: 'int', max: 3, dims: ['g'] }, m: { type: 'bool', dims: ['g', 'h'] } },
      },
    },
    states: { a: { initial: 'x', states: { x: { on: { 'a.go': { target: 'y', actions: assign(({ context }: { context: Ctx }) => update(context)) } } }, y: { type: 'final' } } } },
  } as never);
  const sys = compileStepSystem(machine);
  const init = new Uint32Array(sys.stateWords);
  sys.initial(init);
  sys.load(init);
  const next = new Uint32Array(sys.stateWords);
  sys.apply(0, next);
  sys.load(next);
  return { written: structuredClone(sys.view.context) as Ctx };
}

describe('stepMachine: assigned values', () => {
  it('changed elements are written, the others kept', () => {
    expect(stepOnce((c) => ({ n: 3, xs: [c.xs[0]!, 3], m: [c.m[0]!, [true, false]] })).written).toEqual({ n: 3, on: false, xs: [0, 3], m: [[false, true], [true, false]] });
    expect(stepOnce((c) => ({ on: true, xs: c.xs.slice() })).written).toEqual({ n: 1, on: true, xs: [0, 2], m: [[false, true], [false, false]] });
  });

  it.each([
    ['a scalar above its max', () => ({ n: 4 }), 'context.n'],
    ['a number for a bool', () => ({ on: 1 as unknown as boolean }), 'context.on'],
    ['a row element above its max', (c: Ctx) => ({ xs: [c.xs[0]!, 7] }), 'context.xs'],
    ['a row element that is not an integer', (c: Ctx) => ({ xs: [c.xs[0]!, 1.5] }), 'context.xs'],
    ['a row of the wrong length', (c: Ctx) => ({ xs: [...c.xs, 0] }), 'context.xs'],
    ['a scalar for a row', () => ({ xs: 1 as unknown as number[] }), 'context.xs'],
    ['a 2-d element of the wrong type', (c: Ctx) => ({ m: [c.m[0]!, [false, 0 as unknown as boolean]] }), 'context.m'],
    ['a 2-d value with a missing row', (c: Ctx) => ({ m: [c.m[0]!] }), 'context.m'],
  ] as const)('%s: a ConventionError naming the variable', (_, update, place) => {
    let err: unknown;
    try {
      stepOnce(update);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConventionError);
    expect((err as Error).message).toContain(place);
  });
});
