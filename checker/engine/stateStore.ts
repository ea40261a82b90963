import { hashWords } from "./hash.ts";
import { spreadInPlace } from "./indexGrowth.ts";
import { freeDroppedArrays, type MemoryBudget } from "./memory.ts";
import type { StopReason } from "./types.ts";

/** Returned by {@link StateStore.findOrAdd} when a new state cannot be stored (see `fullReason`). */
export const NO_ROOM = -0x80000000;

const EMPTY = -1;
const INITIAL_STATES = 1024;

/**
 * The set of visited states: an append-only store of fixed-width states with dense ids
 * (0, 1, 2, ... in insertion order), indexed by an open-addressing hash table (linear probing,
 * load ≤ 0.75, doubling) whose slots hold an id and its state's hash, plus `labelStride` bytes of
 * per-state labels. No BFS links: a search's ids are in level order, and levelPath.ts rebuilds its
 * paths. All memory comes from a MemoryBudget; when it refuses, the store stays consistent and
 * `findOrAdd` returns NO_ROOM.
 */
export class StateStore {
	/** Words per state. */
	readonly words: number;
	/** Number of states stored; ids are 0..count-1. */
	count = 0;
	/** State `id` occupies `data[id*words .. (id+1)*words)`. */
	data: Uint32Array;
	/** Per-state labels: `labelStride` bytes per id. */
	labels: Uint8Array;
	readonly labelStride: number;
	/** Why the last NO_ROOM happened. */
	fullReason: StopReason = "max-memory";

	private capacity: number;
	/**
	 * Slot i is table[2i] (the id there, EMPTY when free) and table[2i+1] (that state's hash, as an
	 * int32): a probe reads one cache line, and the stored words only on a hash match. Keeping a
	 * 2-word state in its slot instead measured no faster (guest-mode 3x2): most hits are states
	 * stored moments earlier, whose words are still cached, and the table grows by half.
	 */
	private table: Int32Array;
	private mask: number;
	private maxLoad: number;

	/** Throws a RangeError when even the initial allocation is refused (see `StateStore.create`). */
	private constructor(
		words: number,
		labelStride: number,
		private readonly maxStates: number,
		private readonly budget: MemoryBudget,
		adopted: { readonly data: Uint32Array; readonly labels: Uint8Array; readonly count: number } | null = null,
	) {
		this.words = words;
		this.labelStride = labelStride;
		if (adopted !== null) {
			this.data = adopted.data;
			this.labels = adopted.labels;
			this.count = this.capacity = adopted.count;
			this.table = new Int32Array(0);
			this.mask = this.maxLoad = 0;
			return;
		}
		const cap = Math.max(1, Math.min(INITIAL_STATES, maxStates));
		this.capacity = cap;
		this.data = need(budget.alloc(Uint32Array, cap * words));
		this.labels = need(budget.alloc(Uint8Array, cap * labelStride));
		let size = 16;
		while (size * 0.75 < cap) size *= 2;
		this.table = need(budget.alloc(Int32Array, 2 * size)).fill(EMPTY);
		this.mask = size - 1;
		this.maxLoad = Math.floor(size * 0.75);
	}

	/**
	 * The `count` states in `data` and their labels (arrays the budget already counts, taken over
	 * as they are), as a full store without index (`rebuildIndex` builds it): what a parallel
	 * search stored, for the liveness analysis.
	 */
	static adopt(words: number, data: Uint32Array, labels: Uint8Array, labelStride: number, count: number, budget: MemoryBudget): StateStore {
		return new StateStore(words, labelStride, count, budget, { data, labels, count });
	}

	/**
	 * A store holding at most `maxStates` states, or null when the budget refuses even the first
	 * arrays.
	 */
	static create(words: number, labelStride: number, maxStates: number, budget: MemoryBudget): StateStore | null {
		try {
			return new StateStore(words, labelStride, maxStates, budget);
		} catch (e) {
			if (e instanceof RangeError) return null;
			throw e;
		}
	}

	/**
	 * Looks `src` (its first `words` words) up. Returns its id if present; otherwise appends it and
	 * returns `~id` (negative); returns NO_ROOM if it cannot be stored.
	 */
	findOrAdd(src: Uint32Array): number {
		return this.findOrAddHashed(src, 0, hashWords(src, this.words) | 0);
	}

	/**
	 * Frees the index (a liveness analysis needs the memory, not the lookups): states, links and
	 * labels stay; `indexOf` and `findOrAdd` need `rebuildIndex()` first.
	 */
	dropIndex(): void {
		const bytes = this.table.byteLength;
		this.budget.release(this.table);
		this.table = new Int32Array(0);
		freeDroppedArrays(bytes);
	}

	/** Rebuilds a dropped index (nothing to do when it is there); false, nothing changed, when the budget refuses it. */
	rebuildIndex(): boolean {
		if (this.table.length > 0) return true;
		let size = 16;
		while (size * 0.75 < this.count) size *= 2;
		const table = this.budget.alloc(Int32Array, 2 * size);
		if (table === null) return false;
		table.fill(EMPTY);
		const mask = size - 1;
		const state = new Uint32Array(this.words);
		for (let id = 0; id < this.count; id++) {
			this.load(id, state);
			const h = hashWords(state, this.words) | 0;
			const i = this.freeSlot(table, mask, h);
			table[2 * i] = id;
			table[2 * i + 1] = h;
		}
		this.table = table;
		this.mask = mask;
		this.maxLoad = Math.floor(size * 0.75);
		return true;
	}

	/** The id of `src` (its first `words` words), or -1 when it is not stored. */
	indexOf(src: Uint32Array): number {
		return this.table[2 * this.probe(src, 0, hashWords(src, this.words) | 0)] as number;
	}

	/**
	 * {@link findOrAdd} of the state at `src[off .. off+words)` whose hash (as an int32) the caller
	 * computed with hashWords.
	 */
	findOrAddHashed(src: Uint32Array, off: number, h: number): number {
		let i = this.probe(src, off, h);
		const found = this.table[2 * i] as number;
		if (found !== EMPTY) return found;
		const words = this.words;
		const id = this.count;
		if (id >= this.maxStates) {
			this.fullReason = "max-states";
			return NO_ROOM;
		}
		if (id === this.capacity && !this.growStore()) return NO_ROOM;
		if (id >= this.maxLoad) {
			if (!this.growTable()) return NO_ROOM;
			i = this.freeSlot(this.table, this.mask, h);
		}
		this.table[2 * i] = id;
		this.table[2 * i + 1] = h;
		const store = this.data;
		const at = id * words;
		for (let k = 0; k < words; k++) store[at + k] = src[off + k] as number;
		this.count = id + 1;
		return ~id;
	}

	/** The slot holding `src` (hash `h`, as an int32), or the free slot where it would go. */
	private probe(src: Uint32Array, from: number, h: number): number {
		const words = this.words;
		const table = this.table;
		const data = this.data;
		const mask = this.mask;
		let i = h & mask;
		for (;;) {
			const id = table[2 * i] as number;
			if (id === EMPTY) return i;
			if (table[2 * i + 1] === h) {
				const off = id * words;
				let k = 0;
				while (k < words && data[off + k] === src[from + k]) k++;
				if (k === words) return i;
			}
			i = (i + 1) & mask;
		}
	}

	/** Reads the index slot where a lookup of hash `h` (an int32) starts (see SuccessorBatch). */
	touch(h: number): number {
		return this.table[2 * (h & this.mask)] as number;
	}

	/** A fresh copy of state `id`. */
	copyState(id: number): Uint32Array {
		return this.data.slice(id * this.words, (id + 1) * this.words);
	}

	/** Copies state `id` into `out` (no allocation). */
	load(id: number, out: Uint32Array): void {
		const words = this.words;
		const data = this.data;
		const off = id * words;
		for (let k = 0; k < words; k++) out[k] = data[off + k] as number;
	}

	/** The first free slot of `table` (mask `mask`) on the probe path of hash `h`. */
	private freeSlot(table: Int32Array, mask: number, h: number): number {
		let i = h & mask;
		while (table[2 * i] !== EMPTY) i = (i + 1) & mask;
		return i;
	}

	private growStore(): boolean {
		const b = this.budget;
		const cap = Math.min(this.capacity * 2, this.maxStates);
		const data = b.grow(Uint32Array, this.data, cap * this.words);
		if (data === null) return false;
		this.data = data;
		const labels = b.grow(Uint8Array, this.labels, cap * this.labelStride);
		if (labels === null) return false;
		this.labels = labels;
		this.capacity = cap;
		return true;
	}

	/** Doubles the index, its entries moved to their new slots in place (indexGrowth.ts). */
	private growTable(): boolean {
		const slots = this.mask + 1;
		const table = this.budget.grow(Int32Array, this.table, 4 * slots);
		if (table === null) return false;
		table.fill(EMPTY, 2 * slots);
		spreadInPlace(table, slots, EMPTY);
		this.table = table;
		this.mask = 2 * slots - 1;
		this.maxLoad = Math.floor(2 * slots * 0.75);
		return true;
	}
}

function need<T>(arr: T | null): T {
	if (arr === null) throw new RangeError("engine memory budget exhausted");
	return arr;
}
