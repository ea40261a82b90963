import { describe, expect, it } from "vitest";
import { explore } from "../../checker/engine/index.ts";
import { counterSystem } from "../fixtures/counterSystem.ts";
import { graphSystem } from "../fixtures/graphSystem.ts";
import { nodesOf } from "../fixtures/traceCheck.ts";

/** Checks that consecutive trace states of a counter differ by exactly the action's increment. */
function expectCounterPath(states: Uint32Array[], actions: number[]): void {
	expect(Array.from(states[0] as Uint32Array).every((x) => x === 0)).toBe(true);
	for (let i = 0; i < actions.length; i++) {
		const expected = Array.from(states[i] as Uint32Array);
		const a = actions[i] as number;
		expected[a] = (expected[a] as number) + 1;
		expect(Array.from(states[i + 1] as Uint32Array)).toEqual(expected);
	}
}

describe("explore: K^n counter", () => {
	it.each([
		[2, 1],
		[3, 2],
		[4, 3],
		[5, 4],
		[3, 7],
	])("K=%i, n=%i: exact states, transitions, depth", (k, n) => {
		const r = explore(counterSystem(k, n), []);
		expect(r.verdict).toBe("holds");
		expect(r.property).toBeNull();
		expect(r.states).toBe(k ** n);
		expect(r.transitions).toBe(n * (k - 1) * k ** (n - 1));
		expect(r.depth).toBe(n * (k - 1));
		expect(r.trace).toBeNull();
		expect(r.stoppedBy).toBeNull();
		expect(r.warnings).toEqual([]);
	});

	it("grows the store and table well past their initial sizes (6^7 = 279936 states)", () => {
		const r = explore(counterSystem(6, 7), []);
		expect(r.states).toBe(6 ** 7);
		expect(r.transitions).toBe(7 * 5 * 6 ** 6);
	});

	it("final state is not a deadlock; a non-final terminal state is, with a shortest trace", () => {
		expect(explore(counterSystem(3, 3), []).verdict).toBe("holds");
		const r = explore(counterSystem(3, 3, { finalAtMax: false }), []);
		expect(r.verdict).toBe("violated");
		expect(r.property).toBe("deadlock");
		const trace = r.trace as NonNullable<typeof r.trace>;
		expect(trace.actions).toHaveLength(6);
		expect(trace.loopStart).toBeNull();
		expect(Array.from(trace.states[6] as Uint32Array)).toEqual([2, 2, 2]);
		expectCounterPath(trace.states, trace.actions);
	});

	it("refuses a system that emits more successors than it has actions (its contract: one per action)", () => {
		const sys = counterSystem(3, 1);
		const twice: typeof sys = {
			...sys,
			successors: (emit) =>
				sys.successors((a, next) => {
					emit(a, next);
					emit(a, next);
				}),
		};
		expect(() => explore(twice, [])).toThrow(/more successors than the system has actions/);
	});

	it("checkDeadlock: false ignores terminal states", () => {
		const r = explore(counterSystem(3, 3, { finalAtMax: false }), [], { checkDeadlock: false });
		expect(r.verdict).toBe("holds");
		expect(r.states).toBe(27);
	});

	it("safety violation: shortest trace to the first bad state", () => {
		const sys = counterSystem(4, 3);
		const r = explore(sys, [{ kind: "always", name: "sum<5", holds: () => sys.value(0) + sys.value(1) + sys.value(2) < 5 }]);
		expect(r.verdict).toBe("violated");
		expect(r.property).toBe("sum<5");
		const trace = r.trace as NonNullable<typeof r.trace>;
		expect(trace.actions).toHaveLength(5);
		expect(trace.states.map((s) => s.reduce((a, b) => a + b, 0))).toEqual([0, 1, 2, 3, 4, 5]);
		expectCounterPath(trace.states, trace.actions);
		expect(r.depth).toBe(5);
		expect(r.states).toBeLessThan(64);
	});

	it("reports the first violated property in order, and checks the initial state", () => {
		const sys = counterSystem(2, 2);
		const r = explore(sys, [
			{ kind: "always", name: "ok", holds: () => true },
			{ kind: "always", name: "never", holds: () => false },
			{ kind: "always", name: "never2", holds: () => false },
		]);
		expect(r.property).toBe("never");
		expect(r.trace?.actions).toEqual([]);
		expect(r.trace?.states).toHaveLength(1);
		expect(r.states).toBe(1);
	});

	it("a deadlock at depth d beats a safety violation at depth d+1 found earlier in the same level", () => {
		// 0 -> 1, 0 -> 2; 1 -> 3 (bad); 2 is a deadlock. BFS expands 1 before 2, storing bad 3 first.
		const sys = graphSystem({
			nodes: 4,
			threads: 1,
			actionThreads: [0, 0],
			succ: [[[0, 1], [1, 2]], [[0, 3]], [], [[0, 3]]],
		});
		const r = explore(sys, [{ kind: "always", name: "not3", holds: () => sys.node() !== 3 }]);
		expect(r.property).toBe("deadlock");
		expect(nodesOf(r.trace as NonNullable<typeof r.trace>)).toEqual([0, 2]);
		const noDeadlock = explore(sys, [{ kind: "always", name: "not3", holds: () => sys.node() !== 3 }], {
			checkDeadlock: false,
		});
		expect(noDeadlock.property).toBe("not3");
		expect(nodesOf(noDeadlock.trace as NonNullable<typeof noDeadlock.trace>)).toEqual([0, 1, 3]);
	});

	it("stateWords = 0: a single state", () => {
		const sys = { ...counterSystem(2, 0) };
		const r = explore(sys, []);
		expect(r.states).toBe(1);
		expect(r.verdict).toBe("holds");
	});

	it("rejects invalid options", () => {
		expect(() => explore(counterSystem(2, 2), [], { maxStates: -1 })).toThrow(/maxStates/);
		expect(() => explore(counterSystem(2, 2), [], { maxSeconds: Number.NaN })).toThrow(/maxSeconds/);
	});
});
