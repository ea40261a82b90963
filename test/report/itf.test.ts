import { describe, expect, it } from 'vitest';
import { type Counterexample, statesOf } from '../../checker/report/counterexample.ts';
import { toItf } from '../../checker/report/itf.ts';
import { itfProblems } from './itfShape.ts';

const cex: Counterexample = {
  initial: {
    threads: { t0: 'idle', t1: 'idle' },
    vars: { n: 0, 'flag[t0]': false, 'flag[t1]': false, 'req[t0][t1]': 'none', 'req[t1][t0]': 'none' },
  },
  steps: [
    { thread: 't0', action: 'raise', state: 'raised', changes: { 'flag[t0]': true, n: 1 } },
    { thread: 't1', action: 'ask(t0)', state: 'asking', changes: { 'req[t1][t0]': 'sent' } },
  ],
  loopStart: null,
  communication: [],
};

/** ITF values back to the flat names of the report (`name[a][b]`), and `pc` to thread states. */
function decode(state: Record<string, unknown>): { threads: Record<string, unknown>; vars: Record<string, unknown> } {
  const vars: Record<string, unknown> = {};
  const flatten = (prefix: string, x: unknown): void => {
    if (typeof x === 'object' && x !== null && '#map' in x) {
      for (const [k, v] of (x as { '#map': [string, unknown][] })['#map']) flatten(`${prefix}[${k}]`, v);
    } else if (typeof x === 'object' && x !== null && '#bigint' in x) vars[prefix] = Number((x as { '#bigint': string })['#bigint']);
    else vars[prefix] = x;
  };
  for (const [k, v] of Object.entries(state)) if (k !== '#meta' && k !== 'pc') flatten(k, v);
  const threads = Object.fromEntries((state.pc as { '#map': [string, unknown][] })['#map']);
  return { threads, vars };
}

describe('ITF (Apalache ADR-015) output', () => {
  it('writes vars, indexed states, maps for indexed variables, #bigint integers and pc', () => {
    const itf = toItf(cex, { source: 'test' });
    expect(itf['#meta']).toEqual({ format: 'ITF', 'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html', source: 'test' });
    expect(itf.vars).toEqual(['pc', 'n', 'flag', 'req']);
    expect(itf.states).toHaveLength(3);
    expect(itf.states[1]).toEqual({
      '#meta': { index: 1, thread: 't0', action: 'raise' },
      pc: { '#map': [['t0', 'raised'], ['t1', 'idle']] },
      n: { '#bigint': '1' },
      flag: { '#map': [['t0', true], ['t1', false]] },
      req: { '#map': [['t0', { '#map': [['t1', 'none']] }], ['t1', { '#map': [['t0', 'none']] }]] },
    });
    expect(itf).not.toHaveProperty('loop');
    expect(itfProblems(JSON.parse(JSON.stringify(itf)))).toEqual([]);
  });

  it('every state decodes back to the full state of the trace', () => {
    const itf = toItf(cex);
    expect(itf.states.map((s) => decode(s as Record<string, unknown>))).toEqual(statesOf(cex));
  });

  it('gives a lasso its loop index', () => {
    const itf = toItf({ ...cex, loopStart: 1 });
    expect(itf.loop).toBe(1);
    expect(itfProblems(itf)).toEqual([]);
  });

  it('refuses a model variable named pc and values with no ITF form', () => {
    expect(() => toItf({ ...cex, initial: { ...cex.initial, vars: { pc: 1 } } })).toThrow(/pc/);
    expect(() => toItf({ ...cex, initial: { ...cex.initial, vars: { x: 0.5 } } })).toThrow(/no ITF encoding/);
  });
});

describe('the ITF shape validator finds what breaks the ADR', () => {
  const good = JSON.parse(JSON.stringify(toItf(cex))) as Record<string, unknown> & { states: Record<string, unknown>[] };
  const broken = (edit: (t: typeof good) => void): string[] => {
    const t = structuredClone(good);
    edit(t);
    return itfProblems(t);
  };
  it.each([
    ['a state without a variable', (t: typeof good) => delete t.states[0]!.n, /no value for variable 'n'/],
    ['a variable not in vars', (t: typeof good) => (t.states[0]!.extra = true), /'extra', which is not in vars/],
    ['a #bigint that is not digits', (t: typeof good) => (t.states[0]!.n = { '#bigint': '1.5' }), /#bigint/],
    ['a non-integer number', (t: typeof good) => (t.states[0]!.n = 0.5), /not an integer/],
    ['an unknown # form', (t: typeof good) => (t.states[0]!.n = { '#float': '1' }), /unknown form/],
    ['a #map entry that is not a pair', (t: typeof good) => (t.states[0]!.flag = { '#map': [['t0']] }), /not a \[key, value\] pair/],
    ['a loop outside the states', (t: typeof good) => (t.loop = 7), /loop/],
    ['vars that are not strings', (t: typeof good) => (t.vars = [1]), /vars must be/],
  ])('%s', (_, edit, problem) => {
    expect(broken(edit as (t: typeof good) => void).join('\n')).toMatch(problem);
  });
});
