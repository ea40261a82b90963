/**
 * Canonicalization by enumeration: the representative of a state is the least (word by word) of its
 * images under every element of a symmetry group (symmetryGroup: 4 elements at 2 vCPUs and 2
 * requesters, 12 at 3 and 2). Slower than sorting (symmetryCode.ts), but it knows which element
 * won, and it holds whatever the state ties to the threads' indices (store-buffer entries).
 */
import type { ThreadSymmetry } from '../engine/index.ts';
import type { StateLayout } from './layout.ts';
import { type FieldPermutation, symmetryGroup } from './symmetry.ts';

/** Per word of the image of a state under `g`, the terms (over the state's words s0, s1, ...) that its fields contribute. */
export function fieldImageTerms(layout: StateLayout, g: FieldPermutation): string[][] {
  const terms: string[][] = Array.from({ length: layout.stateWords }, () => []);
  for (let f = 0; f < layout.fieldCount; f++) {
    const to = g.fields[f]!;
    terms[layout.fieldWord[to]!]!.push(`(((s${layout.fieldWord[f]} >>> ${layout.fieldShift[f]}) & ${layout.fieldMask[f]}) << ${layout.fieldShift[to]})`);
  }
  return terms;
}

/**
 * One generated function that rewrites a state (of `stateWords` words) to the least of its images
 * under the elements of `group` (the identity first, as symmetryGroup gives them) and returns the
 * index of an element that gives it (0 when the state is its own least image). `termsOf(g, i)` lists the terms of each word of element i's
 * image (`e` is a scratch local; `R` names `env`). Per element, the first word of the image first,
 * and the rest only when that word does not already exceed the least image so far.
 */
export function leastImageFunction(
  stateWords: number,
  group: readonly FieldPermutation[],
  termsOf: (g: FieldPermutation, i: number) => string[][],
  env: unknown,
): (state: Uint32Array) => number {
  const words = (f: (w: number) => string): string => Array.from({ length: stateWords }, (_, w) => f(w)).join(' ');
  const lines = [words((w) => `const s${w} = s[${w}];`), words((w) => `let l${w} = s${w};`), `let e = 0; let best = 0; ${words((w) => `let x${w} = 0;`)}`];
  group.forEach((g, i) => {
    if (i === 0) return; // the identity: its image is the state itself, the least so far
    const image = termsOf(g, i).map((ts) => (ts.length === 0 ? '0' : `(${ts.join(' | ')}) >>> 0`));
    lines.push(`x0 = ${image[0]};`, 'if (x0 <= l0) {', ...image.slice(1).map((expr, w) => `x${w + 1} = ${expr};`));
    let less = 'false';
    for (let w = stateWords - 1; w >= 0; w--) less = `x${w} !== l${w} ? x${w} < l${w} : ${less}`;
    lines.push(`if (${less}) { ${words((w) => `l${w} = x${w};`)} best = ${i}; }`, '}');
  });
  lines.push(words((w) => `s[${w}] = l${w};`), 'return best;');
  return new Function('R', `return function leastImage(s) {\n${lines.join('\n')}\n};`)(env) as (state: Uint32Array) => number;
}

/**
 * The symmetry reduction of `layout`'s states that names the thread permutation it applies (for
 * liveness under symmetry), or null when the machine declares no symmetric group. Elements that move
 * the threads alike (a group of members that are not threads) count once; the identity is element 0.
 */
export function threadSymmetry(layout: StateLayout): ThreadSymmetry | null {
  if (layout.symmetric.length === 0) return null;
  const group = symmetryGroup(layout);
  const keys = group.map((g) => g.threads.join(','));
  const distinct = [...new Set(keys)];
  const elementOf = Int32Array.from(keys, (key) => distinct.indexOf(key));
  const leastImage = leastImageFunction(layout.stateWords, group, (g) => fieldImageTerms(layout, g), null);
  return {
    elements: distinct.map((key) => Int32Array.from(key.split(','), Number)),
    canonicalize: (state) => elementOf[leastImage(state)]!,
  };
}
