/**
 * threadSymmetry (checker/xstate/leastImage.ts): the least image of a state under its symmetry
 * group, and the thread permutation that gives it. Images are built independently of the code under
 * test (helpers.ts `permute`), each with the thread permutation it applies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileMachine, threadSymmetry } from '../../checker/xstate/index.ts';
import type { StateLayout } from '../../checker/xstate/layout.ts';
import { createKvmMachine } from '../../models/kvm.ts';
import { WAIT_REQUEST_RULES } from '../../models/kvm_request_needs_ipi.ts';
import { arbValueContext, fcSeed, key, packed, permutations, permute, type ValueContext } from './helpers.ts';

interface Image {
  readonly apply: (vc: ValueContext) => ValueContext;
  /** Where thread t goes. */
  readonly threads: readonly number[];
}

/** Every permutation of the symmetric groups applied together, with the thread permutation of each. */
function images(layout: StateLayout): Image[] {
  const threadOf = new Map(layout.threads.map((t, i) => [t.name, i]));
  let out: Image[] = [{ apply: (vc) => vc, threads: layout.threads.map((_, t) => t) }];
  for (const g of layout.symmetric) {
    const members = layout.groups[g]!;
    out = out.flatMap((f) =>
      permutations(members.length).map((perm) => {
        // `permute` gives position i what member perm[i] had: member perm[i]'s thread goes to member i's
        const threads = [...f.threads];
        perm.forEach((from, i) => {
          const a = threadOf.get(members[from]!);
          const b = threadOf.get(members[i]!);
          if (a !== undefined && b !== undefined) threads[f.threads.indexOf(a)] = b;
        });
        return { apply: (vc: ValueContext) => permute(layout, g, perm, f.apply(vc)), threads };
      }),
    );
  }
  return out;
}

const less = (a: Uint32Array, b: Uint32Array): boolean => {
  for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return a[w]! < b[w]!;
  return false;
};

describe('threadSymmetry: least image and its thread permutation', () => {
  it.each([
    [2, 1],
    [2, 2],
    [3, 2],
  ])('guest-mode machine %i vCPUs x %i requesters', (vcpus, requesters) => {
    const layout = compileMachine(createKvmMachine({ vcpus, requesters, waitRequestMask: WAIT_REQUEST_RULES.kernel })).layout;
    const symmetry = threadSymmetry(layout)!;
    const all = images(layout);
    const moves = new Set(all.map((im) => im.threads.join(',')));
    expect(new Set(symmetry.elements.map((g) => g.join(',')))).toEqual(moves);
    expect(symmetry.elements).toHaveLength(moves.size);
    expect([...symmetry.elements[0]!]).toEqual(layout.threads.map((_, t) => t));
    fc.assert(
      fc.property(arbValueContext(layout), (vc) => {
        const state = packed(layout, vc);
        const rep = state.slice();
        const g = symmetry.canonicalize(rep);
        const imageStates = all.map((im) => packed(layout, im.apply(vc)));
        const least = imageStates.reduce((a, b) => (less(b, a) ? b : a));
        expect(key(rep), 'not the least image').toBe(key(least));
        const moved = symmetry.elements[g]!.join(',');
        expect(all.some((im, i) => im.threads.join(',') === moved && key(imageStates[i]!) === key(rep)), 'the element returned does not give the representative').toBe(true);
      }),
      { numRuns: 300, ...fcSeed() },
    );
  });
});
