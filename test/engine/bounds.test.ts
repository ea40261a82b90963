import { describe, expect, it } from "vitest";
import { explore, type Progress } from "../../checker/engine/index.ts";
import { MemoryBudget, tryAllocate } from "../../checker/engine/memory.ts";
import { counterSystem } from "../fixtures/counterSystem.ts";

describe("explore: bounds", () => {
	it("maxStates equal to the state count completes; one less stops with 'incomplete'", () => {
		expect(explore(counterSystem(3, 4), [], { maxStates: 81 }).verdict).toBe("holds");
		const r = explore(counterSystem(3, 4), [], { maxStates: 80 });
		expect(r.verdict).toBe("incomplete");
		expect(r.stoppedBy).toBe("max-states");
		expect(r.property).toBeNull();
		expect(r.states).toBe(80);
		expect(r.trace).toBeNull();
	});

	it("maxStates well below the store's initial capacity", () => {
		const r = explore(counterSystem(10, 4), [], { maxStates: 100 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-states", states: 100 });
		expect(r.depth).toBeGreaterThan(0);
		expect(r.transitions).toBeGreaterThanOrEqual(99);
	});

	it("maxStates: 0 stores nothing", () => {
		expect(explore(counterSystem(2, 2), [], { maxStates: 0 })).toMatchObject({ verdict: "incomplete", states: 0 });
	});

	it("a violation found before the bound is still 'violated'", () => {
		const sys = counterSystem(10, 4);
		const r = explore(sys, [{ kind: "always", name: "x<2", holds: () => sys.value(0) < 2 }], { maxStates: 5000 });
		expect(r).toMatchObject({ verdict: "violated", property: "x<2", stoppedBy: null });
		expect(r.trace?.actions).toEqual([0, 0]);
	});

	it("a violation in the batch that hit the bound is still reported", () => {
		const sys = counterSystem(3, 2);
		// BFS stores (0,0), (1,0), (0,1), then (2,0) while expanding (1,0): the bound refuses the 5th state.
		const r = explore(sys, [{ kind: "always", name: "x<2", holds: () => sys.value(0) < 2 }], { maxStates: 4 });
		expect(r).toMatchObject({ verdict: "violated", property: "x<2", states: 4 });
	});

	it("maxSeconds stops the search with 'max-seconds'", () => {
		const r = explore(counterSystem(10, 5), [], { maxSeconds: 0 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-seconds" });
		expect(r.states).toBeLessThan(100000);
		expect(r.states).toBeGreaterThan(0);
	});

	it("maxMemoryBytes stops the search with 'max-memory' while growing", () => {
		const r = explore(counterSystem(10, 5), [], { maxMemoryBytes: 200_000 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-memory" });
		expect(r.states).toBeGreaterThan(1000);
		expect(r.states).toBeLessThan(100000);
	});

	it("maxMemoryBytes below the first allocation: 'max-memory' with no states", () => {
		const r = explore(counterSystem(2, 2), [], { maxMemoryBytes: 10 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-memory", states: 0 });
	});

	it("an allocation that throws RangeError becomes 'max-memory', not a crash", () => {
		// 2^33 words per state: no typed array can hold even one state.
		const sys = { ...counterSystem(2, 1), stateWords: 2 ** 33 };
		const r = explore(sys, []);
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-memory", states: 0 });
	});

	it("tryAllocate and MemoryBudget turn RangeError into null and keep their accounting", () => {
		expect(tryAllocate(Uint32Array, 2 ** 40)).toBeNull();
		class Failing {
			constructor() {
				throw new RangeError("Array buffer allocation failed");
			}
		}
		expect(tryAllocate(Failing, 1)).toBeNull();
		class Broken {
			constructor() {
				throw new TypeError("not a memory problem");
			}
		}
		expect(() => tryAllocate(Broken, 1)).toThrow(TypeError);
		const budget = new MemoryBudget(100);
		const a = budget.alloc(Int32Array, 10) as Int32Array;
		expect(budget.used).toBe(40);
		expect(budget.alloc(Int32Array, 20)).toBeNull();
		a[3] = 7;
		const b = budget.grow(Int32Array, a, 15) as Int32Array;
		expect(b[3]).toBe(7);
		expect(budget.used).toBe(60);
		expect(budget.grow(Int32Array, b, 30)).toBeNull();
		expect(budget.used).toBe(60);
	});

	it("MemoryBudget.grow moves a big array to a growable buffer once, then grows it in place: contents kept, growth zero, accounted", () => {
		const budget = new MemoryBudget(Number.POSITIVE_INFINITY);
		const small = budget.alloc(Int32Array, 1 << 20) as Int32Array;
		small[5] = 7;
		const big = budget.grow(Int32Array, small, 1 << 22) as Int32Array;
		expect(big.buffer === small.buffer).toBe(false);
		expect(budget.used).toBe(4 << 22);
		big[(1 << 22) - 1] = 9;
		const bigger = budget.grow(Int32Array, big, 1 << 23) as Int32Array;
		expect(bigger.buffer === big.buffer).toBe(true);
		expect([bigger[5], bigger[(1 << 22) - 1], bigger[1 << 22], bigger[(1 << 23) - 1]]).toEqual([7, 9, 0, 0]);
		expect(budget.used).toBe(4 << 23);
		const capped = new MemoryBudget(4 << 23);
		const a = capped.grow(Int32Array, capped.alloc(Int32Array, 1) as Int32Array, 1 << 22) as Int32Array;
		expect(capped.grow(Int32Array, a, (1 << 23) + 1)).toBeNull();
		expect(capped.used).toBe(4 << 22);
	});

	it("liveness is 'incomplete', never 'holds', when a bound stops the search", () => {
		// one counter, 3000 states on a line: the fair-cycle search needs more memory per state than the search leaves
		const sys = counterSystem(3000, 1);
		const props = [{ kind: "eventually" as const, name: "ev", q: () => sys.value(0) === 2999 }];
		expect(explore(sys, props).verdict).toBe("holds");
		expect(explore(sys, props, { maxStates: 10 })).toMatchObject({ verdict: "incomplete", stoppedBy: "max-states" });
		expect(explore(sys, props, { maxSeconds: 0 })).toMatchObject({ verdict: "incomplete", stoppedBy: "max-seconds" });
		// Sweep the memory bound: some bounds let the search finish but not the liveness analysis.
		let holdsFrom = Number.POSITIVE_INFINITY;
		let livenessPhaseStops = 0;
		for (let bound = 20_000; bound <= 400_000; bound += 5_000) {
			const r = explore(sys, props, { maxMemoryBytes: bound });
			if (r.verdict === "holds") {
				holdsFrom = Math.min(holdsFrom, bound);
				expect(r.states).toBe(3000);
			} else {
				expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-memory", property: null });
				expect(bound).toBeLessThan(holdsFrom);
				if (r.states === 3000) livenessPhaseStops++;
			}
		}
		expect(holdsFrom).toBeLessThan(Number.POSITIVE_INFINITY);
		expect(livenessPhaseStops).toBeGreaterThan(0);
	});

	it("onProgress is called about every 0.5 s with consistent figures", () => {
		const seen: Progress[] = [];
		// ~1.5 ms per expansion, 625 states: about 0.9 s.
		const r = explore(counterSystem(5, 4, { spin: 1.5 }), [], { onProgress: (p) => seen.push(p) });
		expect(r.verdict).toBe("holds");
		expect(seen.length).toBeGreaterThanOrEqual(1);
		expect(seen.length).toBeLessThanOrEqual(3);
		for (const p of seen) {
			expect(p.seconds).toBeGreaterThanOrEqual(0.5);
			expect(p.states).toBeGreaterThan(0);
			expect(p.states).toBeLessThanOrEqual(625);
			expect(p.frontier).toBeGreaterThan(0);
			expect(p.transitions).toBeGreaterThan(0);
			expect(p.depth).toBeGreaterThan(0);
		}
	});

	it("once the states are explored, progress names each liveness property as its fair cycles are searched for", () => {
		const sys = counterSystem(3000, 1);
		const seen: Progress[] = [];
		const props = [
			{ kind: "eventually" as const, name: "top", q: () => sys.value(0) === 2999 },
			{ kind: "leadsTo" as const, name: "half", p: () => sys.value(0) === 0, q: () => sys.value(0) >= 1500 },
		];
		expect(explore(sys, props, { onProgress: (p) => seen.push(p) }).verdict).toBe("holds");
		const live = seen.filter((p) => p.liveness !== undefined);
		expect(live.map((p) => p.liveness)).toEqual(["top", "half"]);
		for (const p of live) expect(p).toMatchObject({ states: 3000, transitions: 2999, frontier: 0 });
		expect(seen.slice(0, seen.length - live.length).every((p) => p.liveness === undefined)).toBe(true);
	});
});
