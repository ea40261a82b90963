import { describe, expect, it } from "vitest";
import { explore } from "../../checker/engine/index.ts";
import { counterSystem } from "../fixtures/counterSystem.ts";
import { type GraphSpec, graphSystem } from "../fixtures/graphSystem.ts";
import { rotorSystem, sortCanonicalize } from "../fixtures/rotorSystem.ts";
import { assertFairCycle, assertRealPath, nodesOf } from "../fixtures/traceCheck.ts";

/** `eventually node ∈ q` on a graph. */
function eventually(spec: GraphSpec, q: number[]) {
	const sys = graphSystem(spec);
	const r = explore(sys, [{ kind: "eventually", name: "ev", q: () => q.includes(sys.node()) }], { checkDeadlock: false });
	if (r.trace !== null) {
		assertRealPath(spec, r.trace);
		assertFairCycle(spec, r.trace);
	}
	return r;
}

describe("liveness under weak fairness per thread", () => {
	it("a cycle that starves a continuously enabled thread is not a counterexample", () => {
		// Thread 0 spins on node 0; thread 1 (always enabled at 0) moves to the goal 1.
		const spec: GraphSpec = { nodes: 2, threads: 2, actionThreads: [0, 1], succ: [[[0, 0], [1, 1]], []] };
		expect(eventually(spec, [1]).verdict).toBe("holds");
	});

	it("a cycle through a state where the other thread is disabled is a fair counterexample", () => {
		// 0 <-> 2 by thread 0; thread 1 is enabled only at 0 (to the goal 1).
		const spec: GraphSpec = {
			nodes: 3,
			threads: 2,
			actionThreads: [0, 1],
			succ: [[[0, 2], [1, 1]], [], [[0, 0]]],
		};
		const r = eventually(spec, [1]);
		expect(r).toMatchObject({ verdict: "violated", property: "ev" });
		const trace = r.trace as NonNullable<typeof r.trace>;
		expect(nodesOf(trace)).toEqual([0, 2, 0]);
		expect(trace.actions).toEqual([0, 0]);
		expect(trace.loopStart).toBe(0);
	});

	it("the cycle detours to meet every thread's obligation", () => {
		// SCC {0,1,2}: 0->1 (t0), 1->0 (t0), 0->2 (t1), 2->0 (t1); thread 2 is enabled everywhere but at 2
		// (its edges leave for the goal 3). A fair cycle must take t0 and t1 edges and visit 2.
		const spec: GraphSpec = {
			nodes: 4,
			threads: 3,
			actionThreads: [0, 1, 2],
			succ: [[[0, 1], [1, 2], [2, 3]], [[0, 0], [2, 3]], [[1, 0]], []],
		};
		const r = eventually(spec, [3]);
		expect(r.verdict).toBe("violated");
		const trace = r.trace as NonNullable<typeof r.trace>;
		const cycle = nodesOf(trace).slice(trace.loopStart as number);
		expect(cycle).toContain(2);
		expect(cycle).toContain(1);
	});

	it("a terminal ¬q state is a counterexample: the lasso stutters in it", () => {
		const spec: GraphSpec = { nodes: 3, threads: 2, actionThreads: [0, 1], succ: [[[0, 1], [1, 2]], [], []] };
		const r = eventually(spec, [2]);
		expect(r.verdict).toBe("violated");
		const trace = r.trace as NonNullable<typeof r.trace>;
		expect(nodesOf(trace)).toEqual([0, 1]);
		expect(trace.actions).toEqual([0]);
		expect(trace.loopStart).toBe(1);
	});

	it("leadsTo: only p states matter; the stem starts at the closest p state", () => {
		// 0 -> 1 -> 2 -> 3 (terminal, q never); p holds at 2 only; q at 1 is irrelevant after 2.
		const spec: GraphSpec = { nodes: 4, threads: 1, actionThreads: [0], succ: [[[0, 1]], [[0, 2]], [[0, 3]], []] };
		const sys = graphSystem(spec);
		const prop = (q: number[]) => ({
			kind: "leadsTo" as const,
			name: "p~>q",
			p: () => sys.node() === 2,
			q: () => q.includes(sys.node()),
		});
		const bad = explore(sys, [prop([1])], { checkDeadlock: false });
		expect(bad.verdict).toBe("violated");
		expect(nodesOf(bad.trace as NonNullable<typeof bad.trace>)).toEqual([0, 1, 2, 3]);
		expect(bad.trace?.loopStart).toBe(3);
		expect(explore(sys, [prop([3])], { checkDeadlock: false }).verdict).toBe("holds");
		expect(explore(sys, [prop([2])], { checkDeadlock: false }).verdict).toBe("holds");
	});

	it("reports the first violated liveness property, after all safety properties", () => {
		const sys = counterSystem(3, 3);
		const live = [
			{ kind: "eventually" as const, name: "reaches max", q: () => sys.value(0) === 2 && sys.value(2) === 2 },
			{ kind: "eventually" as const, name: "never", q: () => false },
		];
		const r = explore(sys, live);
		expect(r).toMatchObject({ verdict: "violated", property: "never", states: 27 });
		// Under weak fairness every counter reaches the top; the lasso stutters in the final state.
		expect(r.trace?.loopStart).toBe(6);
		const withSafety = explore(sys, [...live, { kind: "always", name: "small", holds: () => sys.value(1) < 2 }]);
		expect(withSafety).toMatchObject({ verdict: "violated", property: "small" });
		expect(withSafety.trace?.loopStart).toBeNull();
	});

	it("a canonicalize that does not name its permutations is turned off (with a warning) for liveness", () => {
		const sys = rotorSystem(3, 3);
		const r = explore(sys, [{ kind: "eventually", name: "ev", q: () => sys.current()[0] === 2 }], {
			canonicalize: sortCanonicalize,
		});
		expect(r.states).toBe(27);
		expect(r.verdict).toBe("holds");
		expect(r.warnings.join(" ")).toMatch(/symmetry.*turned off/);
	});

	it("rejects an action whose thread is out of range", () => {
		const spec: GraphSpec = { nodes: 2, threads: 1, actionThreads: [3], succ: [[[0, 1]], []] };
		expect(() => eventually(spec, [1])).toThrow(/thread 3/);
	});
});
