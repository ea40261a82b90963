/**
 * Growing a visited-state index in place. The index (StateStore, SharedStore) is an open-addressing
 * table of [key, hash] int32 pairs with linear probing, where a lookup of hash h starts at slot
 * `h & mask` and no entry is ever removed. Once its buffer has grown from `oldSlots` slots to
 * `table.length / 2` (a power-of-two multiple, the new slots free), `spreadInPlace` moves every
 * entry to its place for the new mask without a second table:
 *
 * - the old slots are visited in order from just after a free one, so a probe path (which never
 *   crosses a free slot) is visited from its start;
 * - each entry is taken out and inserted again from its new start. That start is its old start
 *   plus a multiple of `oldSlots`: at the old start, the path runs over slots already visited (and
 *   stops at the latest at the slot it was taken from), or on into the grown part; anywhere else it
 *   runs in the grown part, which only ever receives entries. So no path passes an entry that is
 *   still to be moved, whose removal would cut it;
 * - a path that wraps round the end of the table runs into the first old slots: by then they have
 *   been visited. Before, no path reaches the end: the entries moved so far come from the old slots
 *   after the free one, each from at or after its old start, so for any slot s of the top part
 *   (the last `oldSlots` slots) no more of them start at s or beyond than there are slots from s to
 *   the end, and they are fewer than `oldSlots`, too few for a run from below to fill the top part.
 *
 * One sequential pass with the cached hashes, like the copy into a second table it replaces, with
 * half the memory at the peak.
 */

/** Moves the entries of the first `oldSlots` slots of the grown `table` (free slots hold `free` as key) to their places. */
export function spreadInPlace(table: Int32Array, oldSlots: number, free: number): void {
	const mask = (table.length >>> 1) - 1;
	const oldMask = oldSlots - 1;
	let start = 0;
	while (table[start << 1] !== free) start++;
	for (let step = 1; step <= oldSlots; step++) {
		const p = (start + step) & oldMask;
		const key = table[p << 1] as number;
		if (key === free) continue;
		const h = table[(p << 1) + 1] as number;
		table[p << 1] = free;
		let i = h & mask;
		while (table[i << 1] !== free) i = (i + 1) & mask;
		table[i << 1] = key;
		table[(i << 1) + 1] = h;
	}
}
