import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Accounting of the engine's typed-array memory. Every engine allocation goes through a
 * MemoryBudget, which refuses (returns null) rather than throwing when the bound would be
 * exceeded or when the allocation itself fails with a RangeError.
 */

/** A typed-array constructor (Int32Array, Uint32Array, Uint8Array, ...). */
export interface TypedArrayCtor<T> {
	new (length: number): T;
	new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T;
	readonly BYTES_PER_ELEMENT: number;
}

interface Sized {
	readonly byteLength: number;
	readonly buffer: ArrayBufferLike;
	set(src: ArrayLike<number>): void;
}

/**
 * `grow` gives arrays of this many bytes or more a growable buffer, so that they grow again in
 * place: no copy, and no old and new array alive at once (smaller ones are plain arrays; reserving
 * address space for every small store would cost more than it saves).
 */
const GROW_IN_PLACE_FROM = 1 << 24;

/** The most bytes V8 lets a growable SharedArrayBuffer reach. */
const MAX_GROWABLE_BYTES = 2 ** 32;

/** ES2024 growable SharedArrayBuffers (Node 20 has them; the project's lib is ES2022). */
interface Growable {
	readonly growable: boolean;
	readonly maxByteLength: number;
	grow(bytes: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => SharedArrayBuffer;

export class MemoryBudget {
	/** The budget made last. */
	private static last: MemoryBudget | null = null;
	/** Bytes currently held by live engine arrays. */
	used = 0;

	/**
	 * A budget for a new run (or a store of its own). When the budget made before this one had 16 MB
	 * or more of arrays alive, typically a run that has returned and dropped them, they are collected
	 * first: nothing else may collect them in time (the CLI's runs of guest-mode 3x2 with --workers 2,
	 * sc then tso: 5,922,392 KB peak RSS with the sc run's arrays still held through the tso run).
	 *
	 * @param limit maximum bytes alive at any moment (Infinity: only allocation failure limits).
	 */
	constructor(readonly limit: number) {
		freeDroppedArrays(MemoryBudget.last?.used ?? 0);
		MemoryBudget.last = this;
	}

	/** A zero-filled array of `length` elements, or null if over budget or allocation failed. */
	alloc<T extends Sized>(ctor: TypedArrayCtor<T>, length: number): T | null {
		const bytes = length * ctor.BYTES_PER_ELEMENT;
		if (this.used + bytes > this.limit) return null;
		const arr = tryAllocate(ctor, length);
		if (arr !== null) this.used += bytes;
		return arr;
	}

	/**
	 * `old` grown to `length` (≥ old's length) elements, the new ones zero: the same buffer, grown
	 * in place, when it is growable and has room; else a copy of `old` at the start of a new array
	 * (over a growable buffer from GROW_IN_PLACE_FROM bytes), the budget counting old and new alive
	 * at once. Either way the caller must drop `old` (the new array replaces it). Null, nothing
	 * changed, on failure.
	 */
	grow<T extends Sized>(ctor: TypedArrayCtor<T>, old: T, length: number): T | null {
		const bytes = length * ctor.BYTES_PER_ELEMENT;
		if ((old.buffer as unknown as Growable).growable === true) {
			const buffer = this.growBuffer(old.buffer as SharedArrayBuffer, bytes);
			return buffer === null ? null : new ctor(buffer, 0, length);
		}
		const buffer = bytes >= GROW_IN_PLACE_FROM ? this.buffer(bytes, MAX_GROWABLE_BYTES) : null;
		const arr = buffer === null ? this.alloc(ctor, length) : new ctor(buffer, 0, length);
		if (arr === null) return null;
		arr.set(old as unknown as ArrayLike<number>);
		this.release(old);
		return arr;
	}

	/** {@link grow} into an array of `old`'s own type (for fields that hold one of several). */
	growSame<T extends Sized>(old: T, length: number): T | null {
		return this.grow(old.constructor as unknown as TypedArrayCtor<T>, old, length);
	}

	/**
	 * A zero-filled shared buffer of `bytes`, growable in place up to `max` bytes (as far as V8
	 * and the budget allow; not growable when even that reservation fails), charged to the budget;
	 * null when the budget or the allocation refuses it. Growing in place matters twice: no old and
	 * new buffer alive at once, and a SharedArrayBuffer that is dropped is freed only by a garbage
	 * collection of every thread that saw it, which nothing in a search's allocation-free hot path
	 * triggers.
	 */
	buffer(bytes: number, max: number): SharedArrayBuffer | null {
		if (!this.take(bytes)) return null;
		const limit = Math.min(max, MAX_GROWABLE_BYTES, this.limit);
		const buffer = (bytes <= limit ? attempt(() => new GrowableSharedArrayBuffer(bytes, { maxByteLength: limit })) : null) ?? attempt(() => new SharedArrayBuffer(bytes));
		if (buffer === null) this.release({ byteLength: bytes });
		return buffer;
	}

	/**
	 * `buffer` grown to `bytes` (at least its length), the growth charged to the budget: in place
	 * when it can, else copied into a new buffer (then the old one stays in memory until a garbage
	 * collection); null, nothing changed, when refused.
	 */
	growBuffer(buffer: SharedArrayBuffer, bytes: number): SharedArrayBuffer | null {
		const g = buffer as unknown as Growable;
		if (g.growable && bytes <= g.maxByteLength) {
			const more = bytes - buffer.byteLength;
			if (!this.take(more)) return null;
			const grown = attempt(() => {
				g.grow(bytes);
				return buffer;
			});
			if (grown === null) this.release({ byteLength: more });
			return grown;
		}
		const copy = this.buffer(bytes, bytes);
		if (copy === null) return null;
		new Uint8Array(copy).set(new Uint8Array(buffer));
		this.release(buffer);
		return copy;
	}

	/** Charges `bytes` allocated outside `alloc` (e.g. a buffer grown in place); false, nothing charged, when over budget. */
	take(bytes: number): boolean {
		if (this.used + bytes > this.limit) return false;
		this.used += bytes;
		return true;
	}

	/** Forgets an array that the caller no longer references. */
	release(arr: { readonly byteLength: number }): void {
		this.used -= arr.byteLength;
	}
}

/**
 * Frees the memory of `bytes` of arrays just dropped, when that is GROW_IN_PLACE_FROM or more
 * (two garbage collections cost more than less would hold). A dropped array's memory goes back
 * only in a garbage collection after the one that finds it unreachable, and a search allocates
 * nothing that would start one: without this, a phase that drops a big array and then allocates
 * others (the index before the fair-cycle search) holds both (guest-mode 3x2 with liveness: peak
 * RSS 2,292 MB against 2,000).
 */
export function freeDroppedArrays(bytes: number): void {
	if (bytes >= GROW_IN_PLACE_FROM) collectDroppedArrays();
}

/** Two garbage collections of this thread: the memory of the arrays it had dropped before goes back (see freeDroppedArrays). */
export function collectDroppedArrays(): void {
	collectGarbage ??= exposedGc();
	collectGarbage();
	collectGarbage();
}

let collectGarbage: (() => void) | null = null;

/** V8's `gc()`, exposed on demand (as test runners do for leak detection). */
function exposedGc(): () => void {
	setFlagsFromString("--expose-gc");
	return runInNewContext("gc") as () => void;
}

/** `new ctor(length)`, or null when the memory cannot be had (RangeError: invalid length or allocation failure). */
export function tryAllocate<T>(ctor: new (length: number) => T, length: number): T | null {
	return attempt(() => new ctor(length));
}

/** `f()`, or null when it throws a RangeError (memory that cannot be had). */
function attempt<T>(f: () => T): T | null {
	try {
		return f();
	} catch (e) {
		if (e instanceof RangeError) return null;
		throw e;
	}
}
