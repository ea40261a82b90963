/**
 * MurmurHash3 (x86, 32-bit) over the first `words` words of `src`, word-wise.
 * Returns an unsigned 32-bit hash. Pure, allocation-free; small enough for V8 to inline.
 */
export function hashWords(src: Uint32Array, words: number): number {
	let h = 0x9747b28c;
	for (let i = 0; i < words; i++) {
		let k = Math.imul(src[i] as number, 0xcc9e2d51);
		k = (k << 15) | (k >>> 17);
		k = Math.imul(k, 0x1b873593);
		h ^= k;
		h = (h << 13) | (h >>> 19);
		h = (Math.imul(h, 5) + 0xe6546b64) | 0;
	}
	h ^= words << 2;
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}
