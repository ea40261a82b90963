import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { spreadInPlace } from "../../checker/engine/indexGrowth.ts";

/** Inserts key `key` with hash `h` into the [key, hash] table by linear probing from `h & mask`. */
function insert(table: Int32Array, key: number, h: number, free: number): void {
	const mask = (table.length >>> 1) - 1;
	let i = h & mask;
	while (table[i << 1] !== free) i = (i + 1) & mask;
	table[i << 1] = key;
	table[(i << 1) + 1] = h;
}

/** The key found by a lookup of hash `h` and key `key` (probing until a free slot), or null. */
function lookUp(table: Int32Array, key: number, h: number, free: number): number | null {
	const mask = (table.length >>> 1) - 1;
	for (let i = h & mask; table[i << 1] !== free; i = (i + 1) & mask) {
		if (table[i << 1] === key && table[(i << 1) + 1] === h) return key;
	}
	return null;
}

/**
 * Hashes drawn so that homes bunch up near the end of the table (paths that wrap round it) as well
 * as anywhere: a hash is a home in the old table plus random high bits.
 */
const arbCase = fc
	.record({ oldBits: fc.integer({ min: 1, max: 7 }), factorBits: fc.integer({ min: 1, max: 3 }), free: fc.constantFrom(-1, 0) })
	.chain(({ oldBits, factorBits, free }) => {
		const oldSlots = 1 << oldBits;
		const most = Math.floor(oldSlots * 0.75);
		const home = fc.oneof(fc.integer({ min: 0, max: oldSlots - 1 }), fc.integer({ min: Math.max(0, oldSlots - 3), max: oldSlots - 1 }));
		const hash = fc.tuple(home, fc.integer({ min: 0, max: 0xffffff })).map(([h, high]) => (high * oldSlots + h) | 0);
		return fc.record({
			oldSlots: fc.constant(oldSlots),
			factorBits: fc.constant(factorBits),
			free: fc.constant(free),
			hashes: fc.array(hash, { maxLength: most }),
		});
	});

describe("spreadInPlace", () => {
	it("leaves every entry found by a lookup from its new start, each once, and nothing else", () => {
		fc.assert(
			fc.property(arbCase, ({ oldSlots, factorBits, free, hashes }) => {
				const slots = oldSlots << factorBits;
				const table = new Int32Array(2 * slots);
				if (free !== 0) table.fill(free);
				const old = table.subarray(0, 2 * oldSlots);
				// keys are distinct and never the free value
				hashes.forEach((h, k) => {
					insert(old, k + 1, h, free);
				});
				spreadInPlace(table, oldSlots, free);
				hashes.forEach((h, k) => {
					expect(lookUp(table, k + 1, h, free)).toBe(k + 1);
				});
				const keys: number[] = [];
				for (let i = 0; i < slots; i++) if (table[i << 1] !== free) keys.push(table[i << 1] as number);
				expect(keys.sort((a, b) => a - b)).toEqual(hashes.map((_, k) => k + 1));
			}),
			{ numRuns: 3_000 },
		);
	});
});
