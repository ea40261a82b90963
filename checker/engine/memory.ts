/**
 * Accounting of the engine's typed-array memory. Every engine allocation goes through a
 * MemoryBudget, which refuses (returns null) rather than throwing when the bound would be
 * exceeded or when the allocation itself fails with a RangeError.
 */

/** A typed-array constructor (Int32Array, Uint32Array, Uint8Array, ...). */
export interface TypedArrayCtor<T> {
	new (length: number): T;
	readonly BYTES_PER_ELEMENT: number;
}

interface Sized {
	readonly byteLength: number;
	set(src: ArrayLike<number>): void;
}

export class MemoryBudget {
	/** Bytes currently held by live engine arrays. */
	used = 0;

	/** @param limit maximum bytes alive at any moment (Infinity: only allocation failure limits). */
	constructor(readonly limit: number) {}

	/** A zero-filled array of `length` elements, or null if over budget or allocation failed. */
	alloc<T extends Sized>(ctor: TypedArrayCtor<T>, length: number): T | null {
		const bytes = length * ctor.BYTES_PER_ELEMENT;
		if (this.used + bytes > this.limit) return null;
		const arr = tryAllocate(ctor, length);
		if (arr !== null) this.used += bytes;
		return arr;
	}

	/**
	 * A copy of `old` at the start of a new array of `length` (≥ old's length) elements; the old
	 * array is released from the accounting (the caller must drop it). Null, nothing changed, on
	 * failure. The budget counts the peak: old and new arrays both alive.
	 */
	grow<T extends Sized>(ctor: TypedArrayCtor<T>, old: T, length: number): T | null {
		const arr = this.alloc(ctor, length);
		if (arr === null) return null;
		arr.set(old as unknown as ArrayLike<number>);
		this.release(old);
		return arr;
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

/** `new ctor(length)`, or null when the memory cannot be had (RangeError: invalid length or allocation failure). */
export function tryAllocate<T>(ctor: new (length: number) => T, length: number): T | null {
	try {
		return new ctor(length);
	} catch (e) {
		if (e instanceof RangeError) return null;
		throw e;
	}
}
