import { hashWords } from "../hash.ts";
import type { MemoryBudget } from "../memory.ts";
import { NO_ROOM } from "../stateStore.ts";
import { COUNT, type StoreBuffers } from "./control.ts";

/** Table tags: a free slot, a slot being written, and (TAG_BASE + id) once published. */
const EMPTY = 0;
const BUSY = 1;
const TAG_BASE = 2;
/** The table is sized so that a full store loads it to at most 3/4. */
const MAX_LOAD = 0.75;
/** Largest capacity: ids and tags must stay below 2^31, the table below 2^31 words. */
export const MAX_CAPACITY = Math.floor(2 ** 29 * MAX_LOAD);

/*
 * MemoryBudget-allocatable arrays over a new SharedArrayBuffer. (TypeScript offers a subclass's
 * super() no constructor over a SharedArrayBuffer, hence the cast; the buffer is shared.)
 */
class SharedInt32Array extends Int32Array {
	constructor(length: number) {
		super(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT) as unknown as ArrayBuffer);
	}
}

class SharedUint32Array extends Uint32Array {
	constructor(length: number) {
		super(new SharedArrayBuffer(length * Uint32Array.BYTES_PER_ELEMENT) as unknown as ArrayBuffer);
	}
}

/**
 * The visited set shared by all workers: an append-only store of fixed-width states with dense
 * ids (handed out by Atomics.add on the control word COUNT), BFS tree links (`parent`, `via`), and
 * a lock-free open-addressing index (linear probing over [tag, hash] word pairs). A new state is
 * inserted by claiming an empty slot with Atomics.compareExchange (EMPTY -> BUSY), writing its
 * words, links and hash, then publishing its id with Atomics.store; a reader that meets a BUSY slot
 * spins until it is published (the lockless tables of LTSmin and DiVinE). The capacity is fixed:
 * only the coordinating thread grows the store, while no worker is using it.
 */
export class SharedStore {
	readonly words: number;
	data: Uint32Array;
	parent: Int32Array;
	via: Int32Array;
	/** Slot i is `table[2i]` (tag) and `table[2i+1]` (hash). */
	private table: Int32Array;
	private mask: number;
	private readonly control: Int32Array;

	/** Views over `buffers`; `control` holds the id counter. */
	constructor(words: number, buffers: StoreBuffers, control: Int32Array) {
		this.words = words;
		this.control = control;
		this.data = new Uint32Array(buffers.data);
		this.parent = new Int32Array(buffers.parent);
		this.via = new Int32Array(buffers.via);
		this.table = new Int32Array(buffers.table);
		this.mask = (this.table.length >>> 1) - 1;
	}

	/** A store for `capacity` states, or null when the budget refuses it. */
	static create(words: number, capacity: number, control: Int32Array, budget: MemoryBudget): SharedStore | null {
		const data = budget.alloc(SharedUint32Array, capacity * words);
		const parent = data && budget.alloc(SharedInt32Array, capacity);
		const via = parent && budget.alloc(SharedInt32Array, capacity);
		const table = via && budget.alloc(SharedInt32Array, 2 * tableSlots(capacity));
		if (data === null || parent === null || via === null || table === null) {
			for (const arr of [data, parent, via]) if (arr) budget.release(arr);
			return null;
		}
		const buffer = (arr: Int32Array | Uint32Array): SharedArrayBuffer => arr.buffer as unknown as SharedArrayBuffer;
		return new SharedStore(words, { data: buffer(data), parent: buffer(parent), via: buffer(via), table: buffer(table) }, control);
	}

	/** States that fit: ids are 0..capacity-1. */
	get capacity(): number {
		return this.parent.length;
	}

	/** States stored. */
	get count(): number {
		return Math.min(Atomics.load(this.control, COUNT), this.capacity);
	}

	get buffers(): StoreBuffers {
		return {
			data: this.data.buffer as SharedArrayBuffer,
			parent: this.parent.buffer as SharedArrayBuffer,
			via: this.via.buffer as SharedArrayBuffer,
			table: this.table.buffer as SharedArrayBuffer,
		};
	}

	/** Bytes of shared memory a store of `capacity` states takes. */
	static bytes(words: number, capacity: number): number {
		return 4 * (capacity * (words + 2) + 2 * tableSlots(capacity));
	}

	/**
	 * Looks `src` (its first `words` words) up; safe to call from several threads at once. Returns
	 * its id if present; otherwise stores it with the given BFS links and returns `~id`; returns
	 * NO_ROOM when the capacity is exhausted.
	 */
	findOrAdd(src: Uint32Array, parent: number, action: number): number {
		const h = hashWords(src, this.words) | 0;
		let k = (h & this.mask) << 1;
		for (;;) {
			const r = this.probe(src, h, k);
			if (r >= 0) return r;
			k = ~r;
			if (Atomics.compareExchange(this.table, k, EMPTY, BUSY) === EMPTY) return this.insert(k, h, src, parent, action);
			// another thread took the free slot: look again from it
		}
	}

	/** The id of `src` if it is stored, else -1 (a state being stored concurrently may be missed). */
	find(src: Uint32Array): number {
		const h = hashWords(src, this.words) | 0;
		const r = this.probe(src, h, (h & this.mask) << 1);
		return r >= 0 ? r : -1;
	}

	/**
	 * Walks the probe path of `src` (hash `h`) from tag index `k`, waiting out BUSY slots: the id
	 * of `src` if found, else `~k` for the free slot where it would go.
	 */
	private probe(src: Uint32Array, h: number, k: number): number {
		const table = this.table;
		const wrap = table.length - 1;
		const words = this.words;
		const data = this.data;
		for (;;) {
			let tag = Atomics.load(table, k);
			while (tag === BUSY) tag = Atomics.load(table, k);
			if (tag === EMPTY) return ~k;
			if (table[k + 1] === h) {
				const off = (tag - TAG_BASE) * words;
				let w = 0;
				while (w < words && data[off + w] === src[w]) w++;
				if (w === words) return tag - TAG_BASE;
			}
			k = (k + 2) & wrap;
		}
	}

	/** Fills the slot claimed at `table[k]` (BUSY) and publishes it. */
	private insert(k: number, h: number, src: Uint32Array, parent: number, action: number): number {
		const table = this.table;
		const id = Atomics.add(this.control, COUNT, 1);
		if (id >= this.parent.length) {
			Atomics.store(table, k, EMPTY);
			return NO_ROOM;
		}
		const words = this.words;
		const data = this.data;
		const off = id * words;
		for (let w = 0; w < words; w++) data[off + w] = src[w] as number;
		this.parent[id] = parent;
		this.via[id] = action;
		table[k + 1] = h;
		Atomics.store(table, k, id + TAG_BASE);
		return ~id;
	}

	/** Copies state `id` into `out` (no allocation). */
	load(id: number, out: Uint32Array): void {
		const words = this.words;
		const data = this.data;
		const off = id * words;
		for (let w = 0; w < words; w++) out[w] = data[off + w] as number;
	}

	/** A fresh (unshared) copy of state `id`. */
	copyState(id: number): Uint32Array {
		const out = new Uint32Array(this.words);
		this.load(id, out);
		return out;
	}

	/** Lexicographic order of the words of states `a` and `b` (negative, 0, positive). */
	compare(a: number, b: number): number {
		const words = this.words;
		const data = this.data;
		for (let w = 0; w < words; w++) {
			const d = (data[a * words + w] as number) - (data[b * words + w] as number);
			if (d !== 0) return d;
		}
		return 0;
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

	/**
	 * Grows to `capacity` states, one array at a time (so the budget's peak is the old arrays plus
	 * one new one): the index is rebuilt from its cached hashes, then the store and links are
	 * copied. Only while no other thread uses the store. False when the budget refuses a step; the
	 * store is then still consistent (`capacity` is the links' length).
	 */
	grow(capacity: number, budget: MemoryBudget): boolean {
		const slots = tableSlots(capacity);
		if (2 * slots > this.table.length) {
			const table = budget.alloc(SharedInt32Array, 2 * slots);
			if (table === null) return false;
			this.rehash(table);
			budget.release(this.table);
			this.table = table;
			this.mask = slots - 1;
		}
		const data = budget.grow(SharedUint32Array, this.data, capacity * this.words);
		if (data === null) return false;
		this.data = data;
		const via = budget.grow(SharedInt32Array, this.via, capacity);
		if (via === null) return false;
		this.via = via;
		const parent = budget.grow(SharedInt32Array, this.parent, capacity);
		if (parent === null) return false;
		this.parent = parent;
		return true;
	}

	/** Inserts every published slot of the index into the empty `table`. */
	private rehash(table: Int32Array): void {
		const old = this.table;
		const mask = (table.length >>> 1) - 1;
		for (let k = 0; k < old.length; k += 2) {
			const tag = old[k] as number;
			if (tag < TAG_BASE) continue;
			const h = old[k + 1] as number;
			let j = h & mask;
			while (table[j << 1] !== EMPTY) j = (j + 1) & mask;
			table[j << 1] = tag;
			table[(j << 1) + 1] = h;
		}
	}
}

/** Slots of the index for `capacity` states: a power of two, loaded at most MAX_LOAD. */
function tableSlots(capacity: number): number {
	let slots = 16;
	while (slots * MAX_LOAD < capacity) slots *= 2;
	return slots;
}
