import { describe, expect, it } from 'vitest';
import type { Counterexample } from '../../checker/report/counterexample.ts';
import { swimlaneDot } from '../../checker/report/dot.ts';
import { exploreStateGraph, stateGraphDot } from '../../checker/report/stateGraph.ts';
import { formatCounterexample } from '../../checker/report/text.ts';
import { graphSystem } from '../fixtures/graphSystem.ts';
import { naiveDistances } from '../fixtures/naive.ts';

const cex: Counterexample = {
  initial: { threads: { cpu0: 'OUT', cpu1: 'OUT', host: 'start' }, vars: { 'mode[cpu0]': 'OUT', 'mode[cpu1]': 'OUT', req: 0 } },
  steps: [
    { thread: 'host', action: 'make_request', state: 'kick', changes: { req: 1 } },
    { thread: 'cpu1', action: 'enter', state: 'IN', changes: { 'mode[cpu1]': 'IN' } },
    { thread: 'cpu1', action: 'check', state: 'guest', changes: { req: 0 } },
  ],
  loopStart: null,
  communication: [{ from: 0, to: 2 }],
};

describe('text trace', () => {
  it('shows lane variables as columns (value after each step, * where it changed) and the rest as changes', () => {
    const lines = formatCounterexample(cex, { columns: ['mode[cpu0]', 'mode[cpu1]', 'no-such-var'] }).split('\n');
    expect(lines[0]).toMatch(/^step +thread +action +now in +mode\[cpu0\] +mode\[cpu1\] +changes$/);
    expect(lines[2]).toMatch(/^0 +\(initial\) +OUT +OUT$/);
    expect(lines[3]).toMatch(/^1 +host +make_request +kick +OUT +OUT +req=1$/);
    expect(lines[4]).toMatch(/^2 +cpu1 +enter +IN +OUT +IN\*$/);
    expect(lines[5]).toMatch(/^3 +cpu1 +check +guest +OUT +IN +req=0$/);
    expect(lines[6]).toBe('communication (step j of one thread ordered after step i of another, i->j): 1->3');
  });

  it('without columns it is the plain diff table', () => {
    const lines = formatCounterexample(cex).split('\n');
    expect(lines[0]).toMatch(/^step +thread +action +now in +changes$/);
    expect(lines[3]).toMatch(/^2 +cpu1 +enter +IN +mode\[cpu1\]=IN$/);
  });
});

describe('swim-lane DOT', () => {
  const dot = swimlaneDot(cex, { title: 'demo', property: 'no-missed-request' });

  it('has one lane header per thread that steps, in thread order, and a node per step with its SVG id', () => {
    const headers = [...dot.matchAll(/^ {2}"lane-([^"]+)" \[id=/gm)].map((m) => m[1]);
    expect(headers).toEqual(['cpu1', 'host']);
    for (const k of [1, 2, 3]) expect(dot).toContain(`id="step-${k}"`);
  });

  it('puts every row in one rank, lanes chained left to right, so time runs down the page', () => {
    const ranks = [...dot.matchAll(/\{ rank=same; (.*) \[style=invis\]; \}/g)].map((m) => m[1]);
    expect(ranks).toEqual(['"lane-cpu1" -> "lane-host"', '"p0_1" -> "s0"', '"s1" -> "p1_2"', '"s2" -> "p1_3"']);
  });

  it('draws the communication edge labelled with what the earlier step wrote, and the violation', () => {
    expect(dot).toMatch(/"s0" -> "s2" \[color="#1a73e8".*label="req"\]/);
    expect(dot).toMatch(/"violation" \[id="violation".*label="no-missed-request violated\\l/);
    expect(dot).toMatch(/"s2" -> "violation" \[color="#c00000"/);
  });
});

describe('state graph (--graph)', () => {
  // 0 -a0-> 1 -a1-> 2, 0 -a1-> 3 -a0-> 2, 2 -a0-> 0
  const spec = { nodes: 4, threads: 2, actionThreads: [0, 1], succ: [[[0, 1], [1, 3]], [[1, 2]], [[0, 0]], [[0, 2]]] as [number, number][][] };

  it('holds every reachable state and transition, marks violations and the counterexample path', () => {
    const sys = graphSystem(spec);
    const trace = { states: [0, 3, 2].map((v) => sys.encode(v)), actions: [1, 0], loopStart: null };
    const g = exploreStateGraph(sys, { maxStates: 10, canonicalize: null, invariants: [{ name: 'not-two', holds: () => sys.node() !== 2 }], trace })!;
    expect(g.states).toHaveLength(naiveDistances(spec).size);
    expect(g.edges).toHaveLength(5);
    expect(g.states.filter((s) => s.violates.includes('not-two')).map((s) => s.vars.node)).toEqual([2]);
    expect(g.path.map((id) => g.states[id]!.vars.node)).toEqual([0, 3, 2]);
    const dot = stateGraphDot(g, 'demo');
    expect(dot.match(/ -> /g)).toHaveLength(5);
    expect(dot.match(/color="#e37400"/g)).toHaveLength(2); // the two path edges
  });

  it('refuses (null) above maxStates', () => {
    expect(exploreStateGraph(graphSystem(spec), { maxStates: 3, canonicalize: null, invariants: [], trace: null })).toBeNull();
  });
});
