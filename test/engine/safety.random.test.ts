import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explore } from "../../checker/engine/index.ts";
import { graphSystem } from "../fixtures/graphSystem.ts";
import { naiveDistances, naiveSafety } from "../fixtures/naive.ts";
import { randomGraph, testSeed } from "../fixtures/randomGraph.ts";
import { assertRealPath, nodesOf } from "../fixtures/traceCheck.ts";

describe(`explore vs naive BFS on random graphs (seed ${testSeed})`, () => {
	it("same reachable set, state count, transitions and depth", () => {
		fc.assert(
			fc.property(randomGraph(12), ({ spec }) => {
				const sys = graphSystem(spec);
				const loaded = new Set<number>();
				sys.onLoad = (v) => loaded.add(v);
				const r = explore(sys, [], { checkDeadlock: false });
				const dist = naiveDistances(spec);
				expect(r.verdict).toBe("holds");
				expect(r.states).toBe(dist.size);
				expect([...loaded].sort((a, b) => a - b)).toEqual([...dist.keys()].sort((a, b) => a - b));
				let edges = 0;
				for (const v of dist.keys()) edges += (spec.succ[v] ?? []).length;
				expect(r.transitions).toBe(edges);
				expect(r.depth).toBe(Math.max(...dist.values()));
			}),
			{ seed: testSeed, numRuns: 2000 },
		);
	});

	it("same safety verdict; the counterexample is a real, shortest path ending in a violation", () => {
		const seen = { holds: 0, good: 0, deadlock: 0 };
		fc.assert(
			fc.property(randomGraph(12), fc.boolean(), ({ spec, bad }, checkDeadlock) => {
				const sys = graphSystem(spec);
				const r = explore(sys, [{ kind: "always", name: "good", holds: () => !bad.has(sys.node()) }], {
					checkDeadlock,
				});
				const expected = naiveSafety(spec, bad, checkDeadlock);
				if (expected === null) {
					seen.holds++;
					expect(r.verdict).toBe("holds");
					expect(r.trace).toBeNull();
					return;
				}
				expect(r.verdict).toBe("violated");
				const trace = r.trace as NonNullable<typeof r.trace>;
				assertRealPath(spec, trace);
				expect(trace.loopStart).toBeNull();
				expect(trace.actions.length).toBe(expected);
				const last = nodesOf(trace)[trace.actions.length] as number;
				if (r.property === "good") {
					seen.good++;
					expect(bad.has(last)).toBe(true);
				} else {
					seen.deadlock++;
					expect(r.property).toBe("deadlock");
					expect(checkDeadlock).toBe(true);
					expect(spec.succ[last]).toEqual([]);
					expect(spec.final).not.toContain(last);
				}
			}),
			{ seed: testSeed, numRuns: 3000 },
		);
		// Every outcome must be exercised, or the comparison above proves little.
		expect(Math.min(seen.holds, seen.good, seen.deadlock)).toBeGreaterThan(200);
	});
});
