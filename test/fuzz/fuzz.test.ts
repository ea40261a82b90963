/**
 * The fuzzer on small hand-made systems: coverage groups threads and actions into kinds and lists
 * exactly the kinds no step took; deadlocks and property violations come back as real paths with
 * their cycles cut out; a plain TransitionSystem works through the `stepSystem` adapter.
 */
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { explore } from '../../checker/engine/index.ts';
import { actionKinds, fuzz, stepSystem, threadKinds } from '../../checker/fuzz/index.ts';
import { compileStepSystem } from '../../checker/xstate/stepMachine.ts';
import { counterSystem } from '../fixtures/counterSystem.ts';
import { graphSystem } from '../fixtures/graphSystem.ts';

const seed = process.env.CI ? 20_260_121 : Math.floor(Math.random() * 0x7fffffff);

type Ctx = { n: number; hits: number[] };

/**
 * Workers w0, w1 (kind w) loop idle -> busy -> idle and may poke the other worker; x0 (kind x) can
 * `reset` once, and `stuck` needs n > 2, which never happens (n only takes 0 and 1).
 */
function tinyMachine() {
  const worker = (me: number, other: number) => ({
    initial: 'idle',
    states: {
      idle: {
        on: {
          [`w${me}.go`]: { target: 'busy', actions: assign({ n: () => 1 }) },
          [`w${me}.poke:w${other}`]: { actions: assign({ hits: ({ context }: { context: Ctx }) => context.hits.map((h, i) => (i === other ? 1 - h : h)) }) },
        },
      },
      busy: { on: { [`w${me}.back`]: { target: 'idle', actions: assign({ n: () => 0 }) } } },
    },
  });
  return createMachine({
    type: 'parallel',
    context: { n: 0, hits: [0, 0] } as Ctx,
    meta: { kvmcheck: { groups: { w: ['w0', 'w1'] }, vars: { n: { type: 'int', max: 3 }, hits: { type: 'int', max: 1, dims: ['w'] } } } },
    states: {
      w0: worker(0, 1),
      w1: worker(1, 0),
      x0: {
        initial: 'start',
        states: {
          start: {
            on: {
              'x0.reset': { target: 'done', actions: assign({ hits: () => [0, 0] }) },
              'x0.stuck': { target: 'done', guard: ({ context }: { context: Ctx }) => context.n > 2 },
            },
          },
          done: { type: 'final' },
        },
      },
    },
  } as never);
}

describe('kinds', () => {
  it('thread kinds drop trailing digits; action kinds normalize a `:<thread>` target to its kind', () => {
    const sys = compileStepSystem(tinyMachine());
    expect(threadKinds(sys.threads)).toEqual({ kindOf: Int32Array.from([0, 0, 1]), kinds: ['w', 'x'], sizes: [2, 1] });
    const { kindOf, kinds } = actionKinds(sys);
    const kindOfName = (thread: string, name: string) => kinds[kindOf[sys.actions.findIndex((a) => sys.threads[a.thread] === thread && a.name === name)]!];
    expect(kindOfName('w0', 'poke:w1')).toEqual({ threadKind: 'w', action: 'poke:w' });
    expect(kindOfName('w1', 'poke:w0')).toEqual({ threadKind: 'w', action: 'poke:w' });
    expect(kindOfName('w1', 'go')).toEqual({ threadKind: 'w', action: 'go' });
    expect(kinds).toHaveLength(5);
  });
});

describe(`fuzz on hand-made systems (seed ${seed})`, () => {
  it('coverage: every reachable action kind is taken, and the never-enabled one is listed per thread kind', () => {
    const sys = compileStepSystem(tinyMachine());
    const r = fuzz(sys, [], { runs: 2000, maxSteps: 50, seed });
    expect(r.violation).toBeNull();
    expect(r.coverage.neverTaken).toEqual({ w: [], x: ['stuck'] });
    expect(r.coverage.actionKinds).toEqual({ w: 3, x: 2 });
    // 2000 random runs reach every one of the 48 reachable states (1000 did for 8 seeds of 8), and count each once
    expect(explore(sys, []).states).toBe(48);
    expect(r.coverage.states).toBe(48);
    expect(r.coverage.capped).toBe(false);
    expect(r.runs).toBe(2000);
  });

  it('coverage says when its state table is capped', () => {
    // 40 KiB hold the state table's first 1024 states (3 words each) but not its growth
    const r = fuzz(stepSystem(counterSystem(40, 3)), [], { runs: 300, maxSteps: 200, seed, coverageBytes: 40 * 1024 });
    expect(r.coverage.capped).toBe(true);
    expect(r.coverage.states).toBeGreaterThan(0);
    expect(r.coverage.states).toBeLessThanOrEqual(1024);
    const roomy = fuzz(stepSystem(counterSystem(40, 3)), [], { runs: 300, maxSteps: 200, seed });
    expect(roomy.coverage.capped).toBe(false);
    expect(roomy.coverage.states).toBeGreaterThan(1024);
  });

  it('a deadlock (no thread can step, not final) is a violation; its trace is a real path', () => {
    const k = 4;
    const sys = counterSystem(k, 3, { finalAtMax: false });
    const r = fuzz(stepSystem(sys), [], { runs: 500, maxSteps: 100, seed });
    expect(r.violation?.property).toBe('deadlock');
    const trace = r.violation!.trace;
    expect(trace.actions).toHaveLength(3 * (k - 1));
    expect(Array.from(trace.states.at(-1)!)).toEqual([k - 1, k - 1, k - 1]);
    const final = fuzz(stepSystem(counterSystem(k, 3)), [], { runs: 100, maxSteps: 100, seed });
    expect(final.violation).toBeNull();
  });

  it('a violated property: the counterexample is a path to the first violating state, cycles cut out', () => {
    // node 0 <-> 1 <-> 2 loop on thread t0 (actions 0..3); thread t1 can leave 2 for the bad node 3
    const sys = graphSystem({
      nodes: 4,
      threads: 2,
      actionThreads: [0, 0, 0, 0, 1],
      succ: [[[0, 1]], [[1, 2], [3, 0]], [[2, 1], [4, 3]], []],
      final: [3],
    });
    const r = fuzz(stepSystem(sys), [{ name: 'never-3', holds: () => sys.node() !== 3 }], { runs: 300, maxSteps: 100, seed });
    expect(r.violation?.property).toBe('never-3');
    const { states, actions } = r.violation!.trace;
    // the shortest path 0 -a0-> 1 -a1-> 2 -a4-> 3: any back-and-forth before it is a cycle, cut out
    expect(actions).toEqual([0, 1, 4]);
    expect(states.map((s) => s[0])).toEqual([0, 1, 2, 3]);
  });
});
