import type { ThreadSymmetry } from "./types.ts";

/** Most elements a ThreadSymmetry may have: an edge records its element in one byte. */
export const MAX_GROUP_ELEMENTS = 256;

/**
 * A group of thread permutations as lookup tables, over element indices (those of
 * ThreadSymmetry.elements; 0 is the identity): `apply(g, t)` is where g moves thread t,
 * `compose(a, b)` the element a∘b (b first), `inverse(g)`.
 */
export class ThreadGroup {
	readonly size: number;
	/** `perm[g * threads + t]`: where element g moves thread t. */
	readonly perm: Int32Array;
	/** `mul[a * size + b]`: the element a∘b. */
	readonly mul: Uint8Array;
	readonly inv: Uint8Array;

	private constructor(
		readonly threads: number,
		elements: readonly Int32Array[],
	) {
		const size = elements.length;
		this.size = size;
		this.perm = new Int32Array(size * threads);
		elements.forEach((g, i) => {
			this.perm.set(g, i * threads);
		});
		const indexOf = new Map(elements.map((g, i) => [g.join(","), i]));
		this.mul = new Uint8Array(size * size);
		this.inv = new Uint8Array(size);
		for (let a = 0; a < size; a++) {
			for (let b = 0; b < size; b++) {
				const ab = Array.from({ length: threads }, (_, t) => this.apply(a, this.apply(b, t)));
				const i = indexOf.get(ab.join(","));
				if (i === undefined) throw new Error(`symmetry: the thread permutations are not a group (element ${a} after element ${b} is none of them)`);
				this.mul[a * size + b] = i;
				if (i === 0) this.inv[a] = b;
			}
		}
	}

	/** The trivial group on `threads` threads (no symmetry). */
	static trivial(threads: number): ThreadGroup {
		return new ThreadGroup(threads, [Int32Array.from({ length: threads }, (_, t) => t)]);
	}

	/** The tables of `symmetry`'s elements; throws when they are not distinct permutations of `threads` threads forming a group with the identity first. */
	static of(symmetry: ThreadSymmetry, threads: number): ThreadGroup {
		const { elements } = symmetry;
		if (elements.length === 0 || elements.length > MAX_GROUP_ELEMENTS) {
			throw new Error(`symmetry: a group of ${elements.length} elements (1 to ${MAX_GROUP_ELEMENTS} supported)`);
		}
		for (const g of elements) {
			if (g.length !== threads || new Set(g).size !== threads || g.some((t) => !(t >= 0 && t < threads))) {
				throw new Error(`symmetry: element [${g.join(",")}] is not a permutation of ${threads} threads`);
			}
		}
		if (new Set(elements.map((g) => g.join(","))).size !== elements.length) throw new Error("symmetry: two elements are the same permutation");
		if (elements[0]?.some((t, i) => t !== i)) throw new Error("symmetry: element 0 must be the identity");
		return new ThreadGroup(threads, elements);
	}

	apply(g: number, t: number): number {
		return this.perm[g * this.threads + t] as number;
	}

	compose(a: number, b: number): number {
		return this.mul[a * this.size + b] as number;
	}

	inverse(g: number): number {
		return this.inv[g] as number;
	}
}
