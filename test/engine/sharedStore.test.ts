import { describe, expect, it } from "vitest";
import { controlWords } from "../../checker/engine/parallel/control.ts";
import { SharedStore } from "../../checker/engine/parallel/SharedStore.ts";

describe("SharedStore over buffers of 4 GiB", () => {
	// A big parallel run's index reaches 2^29 slots, 4 GiB; `byteLength >>> 2` made that a view of length 0
	// and every lookup an endless probe. The buffers are only reserved here: untouched pages cost nothing.
	it("views the whole of each buffer, and stores and finds a state in them", () => {
		const big = (): SharedArrayBuffer => new SharedArrayBuffer(2 ** 32);
		const control = new Int32Array(new SharedArrayBuffer(controlWords(1) * Int32Array.BYTES_PER_ELEMENT));
		const store = new SharedStore(1, 0, { data: big(), table: big(), labels: new SharedArrayBuffer(0) }, control);
		expect(store.capacity).toBe(2 ** 30);
		const state = Uint32Array.of(7);
		expect(store.findOrAdd(state)).toBe(~0);
		expect(store.findOrAdd(state)).toBe(0);
	});
});
