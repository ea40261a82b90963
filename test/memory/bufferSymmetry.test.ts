/**
 * Symmetry reduction under store buffers (checker/memory/bufferSymmetry.ts): the representative of
 * a state is the least of its images under the permutations of the symmetric groups, the images
 * computed here independently of the code under test (memory through the helpers' `permute`, the
 * buffers moved and their entries renamed below); and exploring representatives gives the
 * verdicts of exploring every state.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/engine/index.ts';
import { applyMemoryModel, type MemoryModel, type StoreBufferSystem, storeBufferCanonicalizer } from '../../checker/memory/index.ts';
import { bindProperties, compileMachine } from '../../checker/xstate/index.ts';
import { runVariant } from '../../cli/runSpec.ts';
import { guestMode } from '../../specs/guest-mode.ts';
import { key, packed, permutations, permute, reachable, type ValueContext } from '../xstate/helpers.ts';

const variant = (name: string) => guestMode.variants.find((v) => v.name === name)!;

function tsoSystem(name: string, config: { vcpus: number; requesters: number }, model: MemoryModel): StoreBufferSystem {
  const { machine } = variant(name).build(config);
  return applyMemoryModel(machine, compileMachine(machine), model) as StoreBufferSystem;
}

/** A buffered entry: the field it stores to and its flag and value bits. */
interface Entry {
  readonly field: number;
  readonly low: number;
}

/** Every image of `state` under the symmetric groups' permutations, built from its decoded form. */
function referenceImages(system: StoreBufferSystem, state: Uint32Array): Uint32Array[] {
  const { layout, buffers } = system;
  const { memoryWords, slots, slotWord, slotShift, entryBits, idShift, sharedFields } = buffers;
  const memory = state.slice(0, memoryWords);
  const threads = layout.threads.map((t) => t.name);
  const entryMask = 2 ** entryBits - 1;
  const bufferOf = (t: number): Entry[] => {
    const out: Entry[] = [];
    for (let k = 0; k < slots; k++) {
      const e = (state[slotWord[t * slots + k]!]! >>> slotShift[t * slots + k]!) & entryMask;
      if (e !== 0) out.push({ field: sharedFields[(e >>> idShift) - 1]!, low: e & (2 ** idShift - 1) });
    }
    return out;
  };
  // the field of element `idx` (one index per axis) of the variable holding field f, and f's indices
  const varOf = (f: number) => layout.vars.find((v) => f >= layout.elementBase + v.first && f < layout.elementBase + v.first + v.count)!;
  const indices = (f: number): number[] => {
    const v = varOf(f);
    let rest = f - layout.elementBase - v.first;
    return v.shape.map((_, a) => {
      const stride = v.shape.slice(a + 1).reduce((x, y) => x * y, 1);
      const i = Math.floor(rest / stride);
      rest -= i * stride;
      return i;
    });
  };
  const fieldAt = (f: number, idx: number[]): number => {
    const v = varOf(f);
    return layout.elementBase + v.first + idx.reduce((acc, i, a) => acc * v.shape[a]! + i, 0);
  };
  let images: { vc: ValueContext; buffers: Entry[][] }[] = [
    { vc: { value: layout.value(memory), context: layout.readContext(memory) }, buffers: threads.map((_, t) => bufferOf(t)) },
  ];
  for (const group of layout.symmetric) {
    const members = layout.groups[group]!;
    images = images.flatMap(({ vc, buffers: bs }) =>
      permutations(members.length).map((perm) => {
        // the member at position i takes what member perm[i] had: its buffer, and its index in every entry
        const moved = bs.slice();
        members.forEach((m, i) => {
          const t = threads.indexOf(m);
          if (t >= 0) moved[t] = bs[threads.indexOf(members[perm[i]!]!)]!;
        });
        const renamed = moved.map((entries) =>
          entries.map(({ field, low }) => {
            const dims = varOf(field).domain.dims ?? [];
            return { field: fieldAt(field, indices(field).map((j, a) => (dims[a] === group ? perm.indexOf(j) : j))), low };
          }),
        );
        return { vc: permute(layout, group, perm, vc), buffers: renamed };
      }),
    );
  }
  return images.map(({ vc, buffers: bs }) => {
    const out = new Uint32Array(system.stateWords);
    out.set(packed(layout, vc));
    bs.forEach((entries, t) => {
      entries.forEach(({ field, low }, k) => {
        const e = ((sharedFields.indexOf(field) + 1) * 2 ** idShift + low) >>> 0;
        out[slotWord[t * slots + k]!] = (out[slotWord[t * slots + k]!]! | (e << slotShift[t * slots + k]!)) >>> 0;
      });
    });
    return out;
  });
}

const least = (xs: Uint32Array[]): Uint32Array =>
  xs.reduce((a, b) => {
    const w = a.findIndex((x, i) => x !== b[i]);
    return w >= 0 && b[w]! < a[w]! ? b : a;
  });

/** The states of `walks` random walks of `length` steps from the initial state (a fixed-seed generator). */
function walkStates(system: StoreBufferSystem, walks: number, length: number): Uint32Array[] {
  let seed = 20_261_121;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return (seed >>> 8) % n;
  };
  const out: Uint32Array[] = [];
  for (let w = 0; w < walks; w++) {
    const s = new Uint32Array(system.stateWords);
    system.initial(s);
    for (let i = 0; i < length; i++) {
      const next: Uint32Array[] = [];
      system.load(s);
      system.successors((_a, n) => next.push(n.slice()));
      if (next.length === 0) break;
      s.set(next[random(next.length)]!);
      out.push(s.slice());
    }
  }
  return out;
}

describe('store-buffer symmetry: the least image of each state', () => {
  it.each([
    ['kernel', 'tso'],
    ['no-mb-exiting-guest-mode', 'arm64-like'],
  ] as const)('guest-mode %s under %s, 2 vCPUs x 2 requesters: every representative is the least reference image, and states with buffered stores are covered', (name, model) => {
    const system = tsoSystem(name, { vcpus: 2, requesters: 2 }, model);
    const canonicalize = storeBufferCanonicalizer(system)!;
    const { memoryWords } = system.buffers;
    let buffered = 0;
    for (const s of walkStates(system, 100, 60)) {
      const images = referenceImages(system, s);
      expect(images).toHaveLength(4);
      expect(images.some((x) => key(x) === key(s)), 'the identity image').toBe(true);
      const c = s.slice();
      canonicalize(c);
      expect(key(c)).toBe(key(least(images)));
      if (s.subarray(memoryWords).some((w) => w !== 0)) buffered++;
    }
    expect(buffered).toBeGreaterThan(1000);
  });

  it('a state and each of its images have the same representative (guest-mode kernel under tso, 3 vCPUs x 1 requester)', () => {
    const system = tsoSystem('kernel', { vcpus: 3, requesters: 1 }, 'tso');
    const canonicalize = storeBufferCanonicalizer(system)!;
    for (const s of walkStates(system, 30, 50)) {
      const c = s.slice();
      canonicalize(c);
      for (const image of referenceImages(system, s)) {
        canonicalize(image);
        expect(key(image)).toBe(key(c));
      }
    }
  });
});

describe('store-buffer symmetry: exploring representatives', () => {
  it('stores exactly the representatives of the states a full exploration reaches (guest-mode kernel under tso, 2x1)', () => {
    const system = tsoSystem('kernel', { vcpus: 2, requesters: 1 }, 'tso');
    const canonicalize = storeBufferCanonicalizer(system)!;
    const full = reachable(system);
    const reps = new Set(
      full.list.map((s) => {
        const c = s.slice();
        canonicalize(c);
        return key(c);
      }),
    );
    const reduced = reachable(system, canonicalize);
    expect(reduced.states).toEqual(reps);
    expect(reps.size).toBeLessThan(full.states.size);
    const { properties } = variant('kernel').build({ vcpus: 2, requesters: 1 });
    const safety = bindProperties(system, properties.filter((p) => p.kind === 'always'));
    expect(explore(system, safety, { canonicalize }).states).toBe(reps.size);
  });

  it.each([
    ['kernel', 'tso', { vcpus: 2, requesters: 1 }],
    ['no-mb-enter-guest', 'tso', { vcpus: 2, requesters: 1 }],
    ['no-mb-exiting-guest-mode', 'arm64-like', { vcpus: 2, requesters: 1 }],
    ['no-mb-exiting-guest-mode', 'tso', { vcpus: 2, requesters: 1 }],
  ] as const)('guest-mode %s under %s: the same verdict with and without symmetry', (name, memoryModel, config) => {
    const runs = [true, false].map((symmetry) => runVariant(guestMode, variant(name), config, { memoryModel, symmetry, properties: 'safety' }));
    expect(runs[0]!.symmetry).toBe(true);
    expect([runs[0]!.verdict, runs[0]!.property]).toEqual([runs[1]!.verdict, runs[1]!.property]);
    expect(runs[0]!.states).toBeLessThan(runs[1]!.states);
    if (runs[0]!.verdict === 'violated') expect(runs[0]!.counterexample!.steps.length).toBe(runs[1]!.counterexample!.steps.length);
  });
});
