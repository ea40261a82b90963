/**
 * Symmetry reduction for systems with store buffers: the representative of a state is the least
 * (word by word) of its images under every element of the machine's symmetry group
 * (symmetryGroup), the buffers permuted with their threads and each entry renamed to its element's
 * image (an entry for `mode[vcpu1]` becomes one for `mode[vcpu0]` when the vCPUs swap). Where
 * sequential consistency's canonicalizer sorts each group by its members' own data, the entries
 * tie a thread's data to other members' indices; enumerating the group (n! images for n symmetric
 * threads: 4 at 2 vCPUs and 2 requesters, 12 at 3 and 2) gives the least image whatever they hold.
 *
 * The images are computed by one generated function (leastImageFunction).
 */
import type { Canonicalize } from '../engine/index.ts';
import { type FieldPermutation, fieldImageTerms, leastImageFunction, symmetryGroup } from '../xstate/index.ts';
import type { StoreBufferLayout, StoreBufferSystem } from './tso.ts';

/** The canonicalizer of `system`'s states, or null when its machine declares no symmetric group. */
export function storeBufferCanonicalizer(system: StoreBufferSystem): Canonicalize | null {
  const { layout, buffers, stateWords } = system;
  if (layout.symmetric.length === 0) return null;
  const group = symmetryGroup(layout);
  const renames = group.map((g) => entryRenames(buffers, g));
  return leastImageFunction(stateWords, group, (g, i) => imageTerms(system, g, `R[${i}]`), renames);
}

/** Per entry id (shared id + 1; 0 for an empty slot), the id of its element's image under `g`. */
function entryRenames(buffers: StoreBufferLayout, g: FieldPermutation): Int32Array {
  const { sharedFields } = buffers;
  const renames = new Int32Array(sharedFields.length + 1);
  sharedFields.forEach((f, id) => {
    const image = sharedFields.indexOf(g.fields[f]!);
    if (image < 0) throw new Error(`symmetry: shared field ${f} moves to field ${g.fields[f]}, which is not shared`);
    renames[id + 1] = image + 1;
  });
  return renames;
}

/**
 * The terms of each word of the image of a state under `g` (over its words s0, s1, ...; `e` a
 * scratch local): its fields' (fieldImageTerms) and its buffers' entries, moved with their threads
 * and renamed by `rename`, the entry id table of `g`.
 */
function imageTerms(system: StoreBufferSystem, g: FieldPermutation, rename: string): string[][] {
  const { buffers, stateWords } = system;
  const terms = fieldImageTerms(system.layout, g);
  while (terms.length < stateWords) terms.push([]);
  const { slots, slotWord, slotShift, entryBits, idShift } = buffers;
  const entryMask = entryBits === 32 ? 0xffffffff : 2 ** entryBits - 1;
  const low = 2 ** idShift - 1;
  for (let t = 0; t < g.threads.length; t++) {
    for (let k = 0; k < slots; k++) {
      const from = t * slots + k;
      const to = g.threads[t]! * slots + k;
      const entry = `(e = (s${slotWord[from]} >>> ${slotShift[from]}) & ${entryMask}, (${rename}[e >>> ${idShift}] << ${idShift}) | (e & ${low}))`;
      terms[slotWord[to]!]!.push(`(${entry} << ${slotShift[to]})`);
    }
  }
  return terms;
}
