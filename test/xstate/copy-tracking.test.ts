/**
 * The compiled path tabulates a step by the fields it reads, and treats elements an assign only
 * carries over (a `slice()` it did not write, or the state's own array) as no dependency. These
 * machines copy arrays between variables and rows — the cases where "carried over" must not be
 * assumed — and the compiled path must agree with XState's own transition() at every state.
 */
import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { compileMachine, interpretMachine } from '../../checker/xstate/index.ts';
import { firstDifference } from './helpers.ts';

type Ctx = { a: number[]; b: number[]; m: number[][] };

function machine() {
  return setup({ types: { context: {} as Ctx } }).createMachine({
    type: 'parallel',
    context: { a: [0, 0], b: [0, 0], m: [[0, 0], [0, 0]] },
    meta: {
      kvmcheck: {
        groups: { g: ['t0', 't1'], h: ['h0', 'h1'] },
        vars: { a: { type: 'int', max: 2, dims: ['g'] }, b: { type: 'int', max: 2, dims: ['g'] }, m: { type: 'int', max: 2, dims: ['h', 'g'] } },
      },
    },
    states: {
      t0: {
        initial: 's',
        states: {
          s: {
            on: {
              // a[i] counts up (one element written, the other carried over)
              't0.inc0': { guard: ({ context }) => context.a[0]! < 2, target: 's', actions: assign(({ context }) => { const c = context.a.slice(); c[0] = c[0]! + 1; return { a: c }; }) },
              't0.inc1': { guard: ({ context }) => context.a[1]! < 2, target: 's', actions: assign(({ context }) => { const c = context.a.slice(); c[1] = c[1]! + 1; return { a: c }; }) },
              // a copy of one variable written to another
              't0.copy': { target: 's', actions: assign(({ context }) => ({ b: context.a.slice() })) },
              't0.alias': { target: 's', actions: assign(({ context }) => ({ b: context.a })) },
            },
          },
        },
      },
      t1: {
        initial: 's',
        states: {
          s: {
            on: {
              // rows swapped, a row copied from a variable, an untouched row kept
              't1.swap': { target: 's', actions: assign(({ context }) => ({ m: [context.m[1]!, context.m[0]!] })) },
              't1.load': { target: 's', actions: assign(({ context }) => ({ m: [context.b.slice(), context.m[1]!] })) },
              't1.poke': { target: 's', actions: assign(({ context }) => { const r = context.m[1]!.slice(); r[0] = context.a[1]!; return { m: [context.m[0]!, r] }; }) },
            },
          },
        },
      },
    },
  });
}

describe('compiled path: arrays copied between variables and rows', () => {
  it('agrees with XState transition() at every reachable state', () => {
    const m = machine();
    expect(firstDifference(compileMachine(m), interpretMachine(m))).toBeNull();
  });
});
