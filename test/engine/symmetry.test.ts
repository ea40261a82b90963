import { describe, expect, it } from "vitest";
import { explore } from "../../checker/engine/index.ts";
import type { TransitionSystem } from "../../checker/engine/TransitionSystem.ts";
import { counterSystem } from "../fixtures/counterSystem.ts";
import { rotorSystem, sortCanonicalize } from "../fixtures/rotorSystem.ts";

/** Throws unless each step of the trace is a real transition of `sys` (replayed on the unreduced system). */
function expectRealTrace(sys: TransitionSystem, states: Uint32Array[], actions: number[]): void {
	const init = new Uint32Array(sys.stateWords);
	sys.initial(init);
	expect(Array.from(states[0] as Uint32Array)).toEqual(Array.from(init));
	for (let i = 0; i < actions.length; i++) {
		const succ: [number, number[]][] = [];
		sys.load(states[i] as Uint32Array);
		sys.successors((a, next) => succ.push([a, Array.from(next)]));
		expect(succ).toContainEqual([actions[i], Array.from(states[i + 1] as Uint32Array)]);
	}
}

describe("symmetry reduction", () => {
	it("stores one state per orbit with the same verdicts", () => {
		const sys = rotorSystem(4, 3);
		const safe = [{ kind: "always" as const, name: "sum<=8", holds: () => sys.current().reduce((a, b) => a + b, 0) <= 8 }];
		const full = explore(sys, safe);
		const reduced = explore(sys, safe, { canonicalize: sortCanonicalize });
		expect(full).toMatchObject({ verdict: "holds", states: 81 });
		expect(reduced).toMatchObject({ verdict: "holds", states: 15 }); // C(6, 2) multisets
		expect(reduced.depth).toBe(full.depth);
		expect(reduced.warnings).toEqual([]);
	});

	it("the counterexample found on representatives replays on the unreduced system", () => {
		const sys = rotorSystem(4, 3);
		const prop = [{ kind: "always" as const, name: "not all 2", holds: () => !sys.current().every((x) => x === 2) }];
		const full = explore(sys, prop);
		const reduced = explore(sys, prop, { canonicalize: sortCanonicalize });
		expect(reduced).toMatchObject({ verdict: "violated", property: "not all 2" });
		expect(reduced.states).toBeLessThan(full.states);
		const trace = reduced.trace as NonNullable<typeof reduced.trace>;
		expect(trace.actions).toHaveLength(full.trace?.actions.length as number);
		expect(trace.actions).toHaveLength(8);
		expectRealTrace(sys, trace.states, trace.actions);
		expect(Array.from(trace.states[8] as Uint32Array)).toEqual([2, 2, 2, 2]);
		expect(reduced.warnings).toEqual([]);
	});

	it("deadlocks replay too (K^n counter: orbits are multisets)", () => {
		const sys = counterSystem(4, 3, { finalAtMax: false });
		const r = explore(sys, [], { canonicalize: sortCanonicalize });
		expect(r).toMatchObject({ verdict: "violated", property: "deadlock", states: 20 }); // C(6, 3)
		const trace = r.trace as NonNullable<typeof r.trace>;
		expect(trace.actions).toHaveLength(9);
		expectRealTrace(sys, trace.states, trace.actions);
	});

	it("warns when the concrete end state does not violate the (asymmetric) property", () => {
		const sys = counterSystem(3, 3);
		const r = explore(sys, [{ kind: "always", name: "last<2", holds: () => sys.value(2) < 2 }], {
			canonicalize: sortCanonicalize,
		});
		expect(r.verdict).toBe("violated");
		expectRealTrace(sys, r.trace?.states ?? [], r.trace?.actions ?? []);
		expect(r.warnings.join(" ")).toMatch(/does not violate 'last<2'/);
	});

	it("throws a clear error when canonicalize is not a symmetry", () => {
		const sys = counterSystem(4, 1);
		// Maps 1 to 2: the stored path 0 -> [2] -> 3 has no concrete counterpart (0 -> 1 -> 2).
		const notASymmetry = (s: Uint32Array): void => {
			if (s[0] === 1) s[0] = 2;
		};
		expect(() =>
			explore(sys, [{ kind: "always", name: "x<3", holds: () => sys.value(0) < 3 }], { canonicalize: notASymmetry }),
		).toThrow(/not a symmetry/);
	});
});
