import { hashWords } from "../hash.ts";
import { spreadInPlace } from "../indexGrowth.ts";
import { freeDroppedArrays, type MemoryBudget } from "../memory.ts";
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

/**
 * The visited set shared by all explorers: an append-only store of fixed-width states with dense
 * ids (handed out by Atomics.add on the control word COUNT; in level order, so levelPath.ts rebuilds
 * paths without stored links) and a lock-free open-addressing index (linear probing over [tag, hash]
 * word pairs). A new state is inserted by claiming an empty slot with Atomics.compareExchange (EMPTY
 * -> BUSY), writing its words and hash, then publishing its id with Atomics.store; a reader that
 * meets a BUSY slot spins until it is published (the lockless tables of LTSmin and DiVinE). A lookup first walks the
 * path with plain reads (`seek`); only a miss walks it again atomically before claiming a slot.
 * The capacity is fixed: only the coordinating thread grows the store, while no worker is using it.
 */
export class SharedStore {
	readonly words: number;
	data: Uint32Array;
	/** Per-state labels (liveness runs): `labelStride` bytes per id, each written by the explorer that stored the state. */
	labels: Uint8Array;
	readonly labelStride: number;
	/** States that fit: ids are 0..capacity-1. */
	capacity: number;
	/**
	 * Ids below this were stored before the current level began: every thread sees their slots
	 * and words with plain reads (the level's messages order them after their writing).
	 */
	settled = 0;
	/** Slot i is `table[2i]` (tag) and `table[2i+1]` (hash). */
	private table: Int32Array;
	private mask: number;
	private readonly control: Int32Array;

	/** Views over `buffers` (their current lengths); `control` holds the id counter. */
	constructor(words: number, labelStride: number, buffers: StoreBuffers, control: Int32Array) {
		this.words = words;
		this.labelStride = labelStride;
		this.control = control;
		this.data = new Uint32Array(buffers.data, 0, wordsIn(buffers.data));
		this.capacity = this.data.length / words;
		this.labels = new Uint8Array(buffers.labels, 0, this.capacity * labelStride);
		this.table = new Int32Array(buffers.table, 0, wordsIn(buffers.table));
		this.mask = (this.table.length >>> 1) - 1;
	}

	/**
	 * A store for `capacity` states (with `labelStride` bytes of labels each) that can grow to
	 * `maxCapacity`, or null when the budget refuses it.
	 */
	static create(words: number, labelStride: number, capacity: number, maxCapacity: number, control: Int32Array, budget: MemoryBudget): SharedStore | null {
		const sizes = [4 * capacity * words, 8 * tableSlots(capacity), capacity * labelStride];
		const limits = [4 * maxCapacity * words, 8 * tableSlots(maxCapacity), maxCapacity * labelStride];
		const buffers: SharedArrayBuffer[] = [];
		for (let i = 0; i < sizes.length; i++) {
			const buffer = budget.buffer(sizes[i] as number, limits[i] as number);
			if (buffer === null) {
				for (const b of buffers) budget.release(b);
				return null;
			}
			buffers.push(buffer);
		}
		const [data, table, labels] = buffers as [SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer];
		return new SharedStore(words, labelStride, { data, table, labels }, control);
	}

	/** States stored. */
	get count(): number {
		return Math.min(Atomics.load(this.control, COUNT), this.capacity);
	}

	get buffers(): StoreBuffers {
		return {
			data: this.data.buffer as SharedArrayBuffer,
			table: this.table.buffer as SharedArrayBuffer,
			labels: this.labels.buffer as SharedArrayBuffer,
		};
	}

	/**
	 * Looks `src` (its first `words` words) up; safe to call from several threads at once. Returns
	 * its id if present; otherwise stores it and returns `~id`; returns NO_ROOM when the capacity is
	 * exhausted.
	 */
	findOrAdd(src: Uint32Array): number {
		return this.findOrAddHashed(src, 0, hashWords(src, this.words) | 0);
	}

	/** {@link findOrAdd} of the state at `src[from .. from+words)`, whose hash (as an int32) the caller computed with hashWords. */
	findOrAddHashed(src: Uint32Array, from: number, h: number): number {
		let k = (h & this.mask) << 1;
		const seen = this.seek(src, from, h, k);
		if (seen >= 0) return seen;
		for (;;) {
			const r = this.probe(src, from, h, k);
			if (r >= 0) return r;
			k = ~r;
			if (Atomics.compareExchange(this.table, k, EMPTY, BUSY) === EMPTY) return this.insert(k, h, src, from);
			// another thread took the free slot: look again from it
		}
	}

	/**
	 * The probe path of `src` (hash `h`) from tag index `k` with plain reads, which cost a fraction
	 * of Atomics.load's: the id of `src` if found, else -1. A plain read may not see a slot another
	 * thread has just written (it reads it as free, busy, or with stale words), so a miss may be
	 * wrong; a hit on a state stored in the current level is confirmed by an atomic read of its
	 * tag, after which its words are the published ones (the publisher's Atomics.store happens
	 * before).
	 */
	private seek(src: Uint32Array, from: number, h: number, k: number): number {
		const table = this.table;
		const wrap = table.length - 1;
		for (let at = k; ; at = (at + 2) & wrap) {
			const tag = table[at] as number;
			if (tag === EMPTY) return -1;
			if (tag === BUSY || table[at + 1] !== h || !this.holds(tag - TAG_BASE, src, from)) continue;
			const id = tag - TAG_BASE;
			if (id < this.settled) return id;
			Atomics.load(table, at);
			return this.holds(id, src, from) ? id : -1;
		}
	}

	/** State `id`'s words are those at `src[from..]`. */
	private holds(id: number, src: Uint32Array, from: number): boolean {
		const words = this.words;
		const data = this.data;
		const off = id * words;
		let w = 0;
		while (w < words && data[off + w] === src[from + w]) w++;
		return w === words;
	}

	/**
	 * Walks the probe path of `src` (hash `h`) from tag index `k` with atomic reads, waiting out
	 * BUSY slots: the id of `src` if found, else `~k` for the free slot where it would go.
	 */
	private probe(src: Uint32Array, from: number, h: number, k: number): number {
		const table = this.table;
		const wrap = table.length - 1;
		for (;;) {
			let tag = Atomics.load(table, k);
			while (tag === BUSY) tag = Atomics.load(table, k);
			if (tag === EMPTY) return ~k;
			if (table[k + 1] === h && this.holds(tag - TAG_BASE, src, from)) return tag - TAG_BASE;
			k = (k + 2) & wrap;
		}
	}

	/** Fills the slot claimed at `table[k]` (BUSY) and publishes it. */
	private insert(k: number, h: number, src: Uint32Array, from: number): number {
		const table = this.table;
		const id = Atomics.add(this.control, COUNT, 1);
		if (id >= this.capacity) {
			Atomics.store(table, k, EMPTY);
			return NO_ROOM;
		}
		const words = this.words;
		const data = this.data;
		const off = id * words;
		for (let w = 0; w < words; w++) data[off + w] = src[from + w] as number;
		table[k + 1] = h;
		Atomics.store(table, k, id + TAG_BASE);
		return ~id;
	}

	/**
	 * Frees the index (no more lookups: the states and labels stay), charged to `budget`; only once
	 * no other thread uses the store.
	 */
	dropIndex(budget: MemoryBudget): void {
		const bytes = this.table.byteLength;
		budget.release(this.table.buffer);
		this.table = new Int32Array(0);
		freeDroppedArrays(bytes);
	}

	/** Reads the index slot where a lookup of hash `h` (an int32) starts (see SuccessorBatch). */
	touch(h: number): number {
		return this.table[(h & this.mask) << 1] as number;
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

	/**
	 * Grows to `capacity` states, one buffer at a time, in place where it can (see MemoryBudget.buffer); the
	 * entries of a bigger index move to their new slots in place (indexGrowth.ts). Only while no
	 * other thread uses the store.
	 * False when the budget refuses a step; the store is then still consistent (`capacity` follows
	 * the data).
	 */
	grow(capacity: number, budget: MemoryBudget): boolean {
		const slots = tableSlots(capacity);
		if (2 * slots > this.table.length) {
			const oldSlots = this.table.length >>> 1;
			const table = budget.growBuffer(this.table.buffer as SharedArrayBuffer, 8 * slots);
			if (table === null) return false;
			this.table = new Int32Array(table, 0, 2 * slots);
			this.mask = slots - 1;
			spreadInPlace(this.table, oldSlots, EMPTY);
		}
		if (capacity * this.labelStride > this.labels.length) {
			// (a first attempt may have grown the labels and not the data: a smaller retry keeps them)
			const labels = budget.growBuffer(this.labels.buffer as SharedArrayBuffer, capacity * this.labelStride);
			if (labels === null) return false;
			this.labels = new Uint8Array(labels, 0, capacity * this.labelStride);
		}
		const data = budget.growBuffer(this.data.buffer as SharedArrayBuffer, 4 * capacity * this.words);
		if (data === null) return false;
		this.data = new Uint32Array(data, 0, capacity * this.words);
		this.capacity = capacity;
		return true;
	}
}

/** The 32-bit words in `buffer` (a division: its byteLength reaches 2^32, where `>>> 2` gives 0). */
function wordsIn(buffer: SharedArrayBuffer): number {
	return buffer.byteLength / 4;
}

/** Slots of the index for `capacity` states: a power of two, loaded at most MAX_LOAD. */
function tableSlots(capacity: number): number {
	let slots = 16;
	while (slots * MAX_LOAD < capacity) slots *= 2;
	return slots;
}
