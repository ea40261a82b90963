import { describe, expect, it } from "vitest";
import { hashWords } from "../../checker/engine/hash.ts";
import { MemoryBudget } from "../../checker/engine/memory.ts";
import { NO_ROOM, StateStore } from "../../checker/engine/stateStore.ts";

describe("StateStore", () => {
	it("assigns dense ids and finds every state again across growth", () => {
		const budget = new MemoryBudget(Number.POSITIVE_INFINITY);
		const store = StateStore.create(3, 1, Number.POSITIVE_INFINITY, budget) as StateStore;
		const n = 50_000;
		// States differing in a single word (and colliding low bits) must stay distinct.
		const state = (i: number) => Uint32Array.of(i & 0xff, i >>> 8, 0xdead0000);
		for (let i = 0; i < n; i++) expect(store.findOrAdd(state(i))).toBe(~i);
		expect(store.count).toBe(n);
		for (let i = 0; i < n; i += 97) expect(store.findOrAdd(state(i))).toBe(i);
		expect(store.count).toBe(n);
		expect(Array.from(store.copyState(12345))).toEqual(Array.from(state(12345)));
		expect(budget.used).toBeGreaterThan(n * (3 * 4 + 8));
	});

	it("gives a big dropped index's memory back at once (no garbage collection would come in a search)", () => {
		const store = StateStore.create(1, 0, Number.POSITIVE_INFINITY, new MemoryBudget(Number.POSITIVE_INFINITY)) as StateStore;
		const state = new Uint32Array(1);
		// 2^21 states: an index of 2^22 slots, 32 MiB
		for (let i = 0; i < 2 ** 21; i++) {
			state[0] = i;
			store.findOrAdd(state);
		}
		const before = process.memoryUsage().rss;
		store.dropIndex();
		expect(before - process.memoryUsage().rss).toBeGreaterThan(24 * 2 ** 20);
	});

	it("drops its index (its memory released) and rebuilds it: every state is found again, nothing else changes", () => {
		const budget = new MemoryBudget(Number.POSITIVE_INFINITY);
		const store = StateStore.create(2, 0, Number.POSITIVE_INFINITY, budget) as StateStore;
		const state = (i: number) => Uint32Array.of(i * 7919, i & 3);
		for (let i = 0; i < 20_000; i++) store.findOrAdd(state(i));
		const used = budget.used;
		store.dropIndex();
		expect(budget.used).toBeLessThan(used - 20_000 * 8);
		expect(store.rebuildIndex()).toBe(true);
		expect(budget.used).toBe(used);
		for (let i = 0; i < 20_000; i++) expect(store.indexOf(state(i))).toBe(i);
		expect(store.indexOf(Uint32Array.of(1, 1))).toBe(-1);
		expect(store.findOrAdd(state(20_000))).toBe(~20_000);
		expect(Array.from(store.copyState(777))).toEqual(Array.from(state(777)));
	});

	it("keeps two states with the same hash apart (the probe compares the stored words)", () => {
		// Both words vary: with one word fixed, the hash is a bijection of the other.
		const state = (i: number) => Uint32Array.of(i, i);
		const seen = new Map<number, number>();
		let a = -1;
		let b = -1;
		for (let i = 0; a < 0; i++) {
			const h = hashWords(state(i), 2);
			const j = seen.get(h);
			if (j === undefined) seen.set(h, i);
			else [a, b] = [j, i];
		}
		expect(hashWords(state(a), 2)).toBe(hashWords(state(b), 2));
		const store = StateStore.create(2, 0, Number.POSITIVE_INFINITY, new MemoryBudget(Number.POSITIVE_INFINITY)) as StateStore;
		expect(store.findOrAdd(state(a))).toBe(~0);
		expect(store.findOrAdd(state(b))).toBe(~1);
		expect(store.findOrAdd(state(a))).toBe(0);
		expect(store.findOrAdd(state(b))).toBe(1);
		expect(Array.from(store.copyState(1))).toEqual(Array.from(state(b)));
	});

	it("refuses states beyond maxStates with NO_ROOM and fullReason 'max-states'", () => {
		const store = StateStore.create(1, 0, 2, new MemoryBudget(Number.POSITIVE_INFINITY)) as StateStore;
		expect(store.findOrAdd(Uint32Array.of(5))).toBe(~0);
		expect(store.findOrAdd(Uint32Array.of(6))).toBe(~1);
		expect(store.findOrAdd(Uint32Array.of(7))).toBe(NO_ROOM);
		expect(store.fullReason).toBe("max-states");
		expect(store.findOrAdd(Uint32Array.of(6))).toBe(1);
	});

	it("hashWords depends on every word and on the length", () => {
		const a = Uint32Array.of(1, 2, 3);
		expect(hashWords(a, 3)).toBe(hashWords(Uint32Array.of(1, 2, 3), 3));
		expect(hashWords(a, 3)).not.toBe(hashWords(Uint32Array.of(1, 2, 4), 3));
		expect(hashWords(a, 3)).not.toBe(hashWords(Uint32Array.of(0, 2, 3), 3));
		expect(hashWords(a, 2)).not.toBe(hashWords(a, 3));
		const h = hashWords(a, 3);
		expect(h).toBeGreaterThanOrEqual(0);
		expect(h).toBeLessThan(2 ** 32);
	});
});
