import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minimizeSwitches, threadSwitches } from '../../checker/engine/index.ts';
import { type GraphSpec, graphSystem } from '../fixtures/graphSystem.ts';
import { naiveDistances } from '../fixtures/naive.ts';
import { randomGraph, testSeed } from '../fixtures/randomGraph.ts';
import { assertRealPath, nodesOf } from '../fixtures/traceCheck.ts';

/** Every path of exactly `length` steps from the initial node, as action lists, by brute force. */
function pathsOfLength(spec: GraphSpec, length: number): { actions: number[]; end: number }[] {
  let paths = [{ actions: [] as number[], end: spec.initial ?? 0 }];
  for (let i = 0; i < length; i++) {
    paths = paths.flatMap((p) => (spec.succ[p.end] ?? []).map(([a, w]) => ({ actions: [...p.actions, a], end: w })));
  }
  return paths;
}

const switchesOf = (spec: GraphSpec, actions: readonly number[]): number =>
  actions.filter((a, i) => i > 0 && spec.actionThreads[a] !== spec.actionThreads[actions[i - 1]!]).length;

describe(`minimizeSwitches vs brute force on random graphs (seed ${testSeed})`, () => {
  it('finds a shortest path to a target with the fewest thread switches of all shortest paths', () => {
    const seen = { none: 0, found: 0, improved: 0 };
    fc.assert(
      fc.property(randomGraph(9), fc.boolean(), ({ spec, bad: randomBad }, deepest) => {
        const sys = graphSystem(spec);
        const dist = naiveDistances(spec);
        // half the runs target the nodes farthest from the start: long paths, many interleavings
        const far = Math.max(...dist.values());
        const bad = deepest ? new Set([...dist].filter(([, d]) => d === far).map(([v]) => v)) : randomBad;
        const targets = [...dist].filter(([v]) => bad.has(v));
        const r = minimizeSwitches(sys, () => bad.has(sys.node()), 10);
        if (targets.length === 0) {
          seen.none++;
          expect(r.kind).toBe('none');
          return;
        }
        const length = Math.min(...targets.map(([, d]) => d));
        const shortest = pathsOfLength(spec, length).filter((p) => bad.has(p.end));
        const fewest = Math.min(...shortest.map((p) => switchesOf(spec, p.actions)));
        expect(r.kind).toBe('found');
        if (r.kind !== 'found') return;
        seen.found++;
        if (Math.max(...shortest.map((p) => switchesOf(spec, p.actions))) > fewest) seen.improved++;
        assertRealPath(spec, r.trace);
        expect(r.trace.actions.length).toBe(length);
        expect(bad.has(nodesOf(r.trace)[length]!)).toBe(true);
        expect(r.switches).toBe(fewest);
        expect(threadSwitches(sys, r.trace.actions)).toBe(fewest);
      }),
      { seed: testSeed, numRuns: 1500 },
    );
    // the property must have been exercised where it matters: graphs where some shortest path switches more
    expect(seen.none).toBeGreaterThan(0);
    expect(seen.improved).toBeGreaterThan(30);
  });

  it('answers none beyond the given depth and max-states when the store is full', () => {
    // a chain 0 -a0(t0)-> 1 -a1(t1)-> 2 -a0(t0)-> 3
    const spec: GraphSpec = { nodes: 4, threads: 2, actionThreads: [0, 1], succ: [[[0, 1]], [[1, 2]], [[0, 3]], []] };
    const sys = graphSystem(spec);
    expect(minimizeSwitches(sys, () => sys.node() === 3, 2).kind).toBe('none');
    expect(minimizeSwitches(sys, () => sys.node() === 3, 3, { maxStates: 2 }).kind).toBe('max-states');
    const r = minimizeSwitches(sys, () => sys.node() === 3, 3);
    expect(r.kind === 'found' && r.switches).toBe(2);
  });
});
