/**
 * levelPath.ts: a BFS path rebuilt from the levels is the path that parent links would have
 * recorded (the first state to reach a state, by its first action), whether the predecessors are
 * found by generating successors again or on the recorded edges, with and without a canonicalizer.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { levelOf, recordedPredecessors, regeneratedPredecessors, shortestPath } from "../../checker/engine/levelPath.ts";
import { Search } from "../../checker/engine/search.ts";
import type { Canonicalize } from "../../checker/engine/types.ts";
import { type GraphSpec, graphSystem } from "../fixtures/graphSystem.ts";
import { randomGraph, testSeed } from "../fixtures/randomGraph.ts";
import { unbounded } from "../fixtures/unbounded.ts";

/** Per reachable node, the path of a BFS with parent links (nodes and actions), its successors mapped by `rep`. */
function parentLinkPaths(spec: GraphSpec, rep: (v: number) => number): Map<number, { nodes: number[]; actions: number[] }> {
	const start = rep(spec.initial ?? 0);
	const paths = new Map([[start, { nodes: [start], actions: [] as number[] }]]);
	const queue = [start];
	for (let i = 0; i < queue.length; i++) {
		const u = queue[i] as number;
		const path = paths.get(u) as { nodes: number[]; actions: number[] };
		for (const [action, target] of [...(spec.succ[u] ?? [])].sort((a, b) => a[0] - b[0])) {
			const v = rep(target);
			if (paths.has(v)) continue;
			paths.set(v, { nodes: [...path.nodes, v], actions: [...path.actions, action] });
			queue.push(v);
		}
	}
	return paths;
}

function search(spec: GraphSpec, canonicalize: Canonicalize | null, recordEdges: boolean): Search {
	const sys = graphSystem(spec);
	const liveness = recordEdges ? [{ kind: "eventually" as const, name: "any", q: () => true }] : [];
	const s = Search.create(sys, { ...unbounded(), safety: [], liveness, canonicalize, recordElements: false }) as Search;
	s.run();
	return s;
}

describe(`levelPath vs a BFS with parent links, on random graphs (seed ${testSeed})`, () => {
	it.each([
		["no canonicalizer", false],
		["a canonicalizer that merges node pairs", true],
	])("every reachable state's rebuilt path is the parent-link path (%s), from successors generated again and from recorded edges", (_name, merge) => {
		fc.assert(
			fc.property(randomGraph(14), ({ spec }) => {
				const rep = (v: number): number => (merge ? v & ~1 : v);
				const encode = graphSystem(spec).encode;
				const canonicalize: Canonicalize | null = merge ? (s) => s.set(encode(rep(s[0] as number))) : null;
				const expected = parentLinkPaths(spec, rep);
				const plain = search(spec, canonicalize, false);
				const recorded = search(spec, canonicalize, true);
				const edges = recorded.edges as NonNullable<Search["edges"]>;
				const finders = [
					{ s: plain, find: regeneratedPredecessors(graphSystem(spec), canonicalize, plain.store) },
					{ s: recorded, find: recordedPredecessors(edges) },
				];
				for (const { s, find } of finders) {
					expect(s.store.count).toBe(expected.size);
					for (let id = 0; id < s.store.count; id++) {
						const path = shortestPath(s.levelStarts, id, find);
						const want = expected.get(s.store.copyState(id)[0] as number);
						expect(path.ids.map((i) => s.store.copyState(i)[0])).toEqual(want?.nodes);
						expect(path.actions).toEqual(want?.actions);
						expect(levelOf(s.levelStarts, id)).toBe(path.actions.length);
					}
				}
			}),
			{ seed: testSeed, numRuns: 1000 },
		);
	});

	it("refuses a state no state of the level before reaches (a store the system does not match)", () => {
		const spec: GraphSpec = { nodes: 3, threads: 1, actionThreads: [0], succ: [[[0, 1]], [[0, 2]], []] };
		const s = search(spec, null, false);
		const other = graphSystem({ ...spec, succ: [[[0, 1]], [], []] });
		expect(() => shortestPath(s.levelStarts, 2, regeneratedPredecessors(other, null, s.store))).toThrow(/no predecessor in level 1/);
	});
});
