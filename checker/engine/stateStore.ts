import { hashWords } from "./hash.ts";
import type { MemoryBudget } from "./memory.ts";
import type { StopReason } from "./types.ts";

/** Returned by {@link StateStore.findOrAdd} when a new state cannot be stored (see `fullReason`). */
export const NO_ROOM = -0x80000000;

const EMPTY = -1;
const INITIAL_STATES = 1024;

/**
 * The set of visited states: an append-only store of fixed-width states with dense ids
 * (0, 1, 2, ... in insertion order), indexed by an open-addressing hash table (linear probing,
 * load ≤ 0.75, doubling), plus per-id BFS tree links (`parent`, `via` action) and `labelStride`
 * bytes of per-state labels. All memory comes from a MemoryBudget; when it refuses, the store
 * stays consistent and `findOrAdd` returns NO_ROOM.
 */
export class StateStore {
	/** Words per state. */
	readonly words: number;
	/** Number of states stored; ids are 0..count-1. */
	count = 0;
	/** State `id` occupies `data[id*words .. (id+1)*words)`. */
	data: Uint32Array;
	/** BFS tree: parent id (-1 for the initial state). */
	parent: Int32Array;
	/** BFS tree: action id from the parent (-1 for the initial state). */
	via: Int32Array;
	/** Per-state labels: `labelStride` bytes per id. */
	labels: Uint8Array;
	readonly labelStride: number;
	/** Why the last NO_ROOM happened. */
	fullReason: StopReason = "max-memory";

	private capacity: number;
	private slots: Int32Array; // slot -> id, EMPTY when free
	private hashes: Uint32Array; // slot -> cached hash of the state there
	private mask: number;
	private maxLoad: number;

	/** Throws a RangeError when even the initial allocation is refused (see `StateStore.create`). */
	private constructor(
		words: number,
		labelStride: number,
		private readonly maxStates: number,
		private readonly budget: MemoryBudget,
	) {
		this.words = words;
		this.labelStride = labelStride;
		const cap = Math.max(1, Math.min(INITIAL_STATES, maxStates));
		this.capacity = cap;
		this.data = need(budget.alloc(Uint32Array, cap * words));
		this.parent = need(budget.alloc(Int32Array, cap));
		this.via = need(budget.alloc(Int32Array, cap));
		this.labels = need(budget.alloc(Uint8Array, cap * labelStride));
		let size = 16;
		while (size * 0.75 < cap) size *= 2;
		this.slots = need(budget.alloc(Int32Array, size)).fill(EMPTY);
		this.hashes = need(budget.alloc(Uint32Array, size));
		this.mask = size - 1;
		this.maxLoad = Math.floor(size * 0.75);
	}

	/** A store holding at most `maxStates` states, or null when the budget refuses even the first arrays. */
	static create(words: number, labelStride: number, maxStates: number, budget: MemoryBudget): StateStore | null {
		try {
			return new StateStore(words, labelStride, maxStates, budget);
		} catch (e) {
			if (e instanceof RangeError) return null;
			throw e;
		}
	}

	/**
	 * Looks `src` (its first `words` words) up. Returns its id if present; otherwise appends it with
	 * the given BFS links and returns `~id` (negative); returns NO_ROOM if it cannot be stored.
	 */
	findOrAdd(src: Uint32Array, parent: number, action: number): number {
		const words = this.words;
		const h = hashWords(src, words);
		let i = this.probe(src, h);
		const found = this.slots[i] as number;
		if (found !== EMPTY) return found;
		const id = this.count;
		if (id >= this.maxStates) {
			this.fullReason = "max-states";
			return NO_ROOM;
		}
		if (id === this.capacity && !this.growStore()) return NO_ROOM;
		if (id >= this.maxLoad) {
			if (!this.growTable()) return NO_ROOM;
			i = this.freeSlot(h);
		}
		this.slots[i] = id;
		this.hashes[i] = h;
		const store = this.data;
		const off = id * words;
		for (let k = 0; k < words; k++) store[off + k] = src[k] as number;
		this.parent[id] = parent;
		this.via[id] = action;
		this.count = id + 1;
		return ~id;
	}

	/** The id of `src` (its first `words` words) if it is stored, else -1. */
	find(src: Uint32Array): number {
		const id = this.slots[this.probe(src, hashWords(src, this.words))] as number;
		return id === EMPTY ? -1 : id;
	}

	/** The slot holding `src` (hash `h`), or the free slot where it would go. */
	private probe(src: Uint32Array, h: number): number {
		const words = this.words;
		const slots = this.slots;
		const hashes = this.hashes;
		const data = this.data;
		const mask = this.mask;
		let i = h & mask;
		for (;;) {
			const id = slots[i] as number;
			if (id === EMPTY) return i;
			if (hashes[i] === h) {
				const off = id * words;
				let k = 0;
				while (k < words && data[off + k] === src[k]) k++;
				if (k === words) return i;
			}
			i = (i + 1) & mask;
		}
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

	/** Ids on the BFS-tree path from the initial state to `id`, and the actions between them. */
	pathTo(id: number): { ids: number[]; actions: number[] } {
		const ids: number[] = [];
		const actions: number[] = [];
		for (let v = id; v !== -1; v = this.parent[v] as number) {
			ids.push(v);
			if (this.parent[v] !== -1) actions.push(this.via[v] as number);
		}
		return { ids: ids.reverse(), actions: actions.reverse() };
	}

	private freeSlot(h: number): number {
		const slots = this.slots;
		const mask = this.mask;
		let i = h & mask;
		while (slots[i] !== EMPTY) i = (i + 1) & mask;
		return i;
	}

	private growStore(): boolean {
		const b = this.budget;
		const cap = Math.min(this.capacity * 2, this.maxStates);
		const data = b.grow(Uint32Array, this.data, cap * this.words);
		if (data === null) return false;
		this.data = data;
		const parent = b.grow(Int32Array, this.parent, cap);
		if (parent === null) return false;
		this.parent = parent;
		const via = b.grow(Int32Array, this.via, cap);
		if (via === null) return false;
		this.via = via;
		const labels = b.grow(Uint8Array, this.labels, cap * this.labelStride);
		if (labels === null) return false;
		this.labels = labels;
		this.capacity = cap;
		return true;
	}

	private growTable(): boolean {
		const size = this.slots.length * 2;
		const slots = this.budget.alloc(Int32Array, size);
		if (slots === null) return false;
		const hashes = this.budget.alloc(Uint32Array, size);
		if (hashes === null) {
			this.budget.release(slots);
			return false;
		}
		slots.fill(EMPTY);
		const mask = size - 1;
		const oldSlots = this.slots;
		const oldHashes = this.hashes;
		for (let i = 0; i < oldSlots.length; i++) {
			const id = oldSlots[i] as number;
			if (id === EMPTY) continue;
			const h = oldHashes[i] as number;
			let j = h & mask;
			while (slots[j] !== EMPTY) j = (j + 1) & mask;
			slots[j] = id;
			hashes[j] = h;
		}
		this.budget.release(oldSlots);
		this.budget.release(oldHashes);
		this.slots = slots;
		this.hashes = hashes;
		this.mask = mask;
		this.maxLoad = Math.floor(size * 0.75);
		return true;
	}
}

function need<T>(arr: T | null): T {
	if (arr === null) throw new RangeError("engine memory budget exhausted");
	return arr;
}
