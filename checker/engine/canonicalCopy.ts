import type { Canonicalize } from "./types.ts";

/**
 * The representative of successor `next` (the system's scratch buffer, left as it is), written into
 * `into`. The copy is a word loop: TypedArray.prototype.set costs more than the copy of a few words.
 */
export function canonicalCopy(canon: Canonicalize, next: Uint32Array, into: Uint32Array): Uint32Array {
	for (let w = 0; w < into.length; w++) into[w] = next[w] as number;
	canon(into);
	return into;
}
