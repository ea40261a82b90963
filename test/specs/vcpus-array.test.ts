import { brokenAt, replaySnapshots } from './replay.ts';
import { describe, expect, it } from 'vitest';
import { always, type ViewPredicate } from '../../checker/xstate/index.ts';
import { asExpected, type RunResult, runVariant } from '../../cli/runSpec.ts';
import { OUTSIDE_GUEST_MODE } from '../../models/kvm_host.ts';
import { READER_ARRAY1, READER_MUST_SEE, READER_SAW, type VcpusContext } from '../../models/kvm_vcpus.ts';
import type { Variant } from '../../specs/index.ts';
import { vcpusArray } from '../../specs/vcpus-array.ts';

const config = vcpusArray.defaults;
const variantNamed = (name: string): Variant => vcpusArray.variants.find((v) => v.name === name)!;

/** Each variant is explored once per symmetry setting and the results shared by the tests below. */
const runs = new Map<string, RunResult>();
function runOf(name: string, symmetry = true): RunResult {
  const key = `${name}/${symmetry}`;
  if (!runs.has(key)) runs.set(key, runVariant(vcpusArray, variantNamed(name), config, { symmetry }));
  return runs.get(key)!;
}

/** The same machine checked against one other safety predicate (a probe, not a spec property). */
function probe(name: string, predicate: ViewPredicate): RunResult {
  const variant = variantNamed(name);
  const probed: Variant = { ...variant, build: (c) => ({ machine: variant.build(c).machine, properties: [always('probe', predicate)] }) };
  return runVariant(vcpusArray, probed, config);
}

const ctxOf = (context: unknown): VcpusContext => context as VcpusContext;

describe('vcpus-array: every variant gets its verdict by exploration', () => {
  for (const variant of vcpusArray.variants) {
    it(`${variant.name} is ${variant.expected.verdict} with and without symmetry`, () => {
      const withSym = runOf(variant.name, true);
      const without = runOf(variant.name, false);
      expect(asExpected(withSym)).toBe(true);
      expect(asExpected(without)).toBe(true);
      expect(withSym.symmetry).toBe(true);
      if (withSym.verdict === 'holds') expect(without.states).toBeGreaterThan(withSym.states);
      expect(without.counterexample?.steps.length).toBe(withSym.counterexample?.steps.length);
    });
  }

  it('neither property is vacuous: each is violated by some variant', () => {
    const names = variantNamed('srcu').build(config).properties.map((p) => p.name);
    expect(names).toEqual(['no-freed-array-deref', 'online-vcpu-seen']);
    const violated = new Set(vcpusArray.variants.map((v) => runOf(v.name).property));
    for (const name of names) expect(violated.has(name), name).toBe(true);
  });

  it.each([
    [3, 1],
    [2, 2],
  ] as const)('%i vCPUs and %i foreign reader(s): the same verdicts', (vcpus, requesters) => {
    for (const variant of vcpusArray.variants) expect(asExpected(runVariant(vcpusArray, variant, { vcpus, requesters })), variant.name).toBe(true);
  });
});

/** Replays a variant's counterexample on the XState machine itself, event by event, with `transition()`. */
function replay(name: string): { value: Record<string, string>; ctx: VcpusContext; broken: string[] } {
  const variant = variantNamed(name);
  const { machine, properties } = variant.build(config);
  const snapshot = replaySnapshots(machine, runOf(name).counterexample!.steps).pop()!;
  return { value: snapshot.value as Record<string, string>, ctx: ctxOf(snapshot.context), broken: brokenAt(properties, snapshot) };
}

describe('vcpus-array counterexamples replay on the XState machine and end in a violation', () => {
  it('move-request-foreign: the foreign reader still holds the old array that the creator freed once every vCPU had moved', () => {
    const { value, ctx, broken } = replay('move-request-foreign');
    expect(broken).toEqual(['no-freed-array-deref']);
    expect(value.foreign0).toBe('online_read');
    expect(ctx.model_freed).toBe(true);
    expect(ctx.model_foreign_walk![0]! & READER_ARRAY1).toBe(0);
    expect(ctx.vcpu_vcpus).toEqual([1, 1]); // the request did its job for the vCPU threads
  });

  it('move-request-wait-only: a vCPU walking its cached array in host code is OUTSIDE_GUEST_MODE, so WAIT neither IPIs nor waits for it', () => {
    const { value, ctx, broken } = replay('move-request-wait-only');
    expect(broken).toEqual(['no-freed-array-deref']);
    const walker = [0, 1].find((v) => value[`vcpu${v}`] === 'online_read')!;
    expect(ctx.mode[walker]).toBe(OUTSIDE_GUEST_MODE);
    expect(ctx.vcpu_vcpus![walker]).toBe(0);
    expect(ctx.model_freed).toBe(true);
  });

  it('publish-early: a walk that began with vCPU N online finds its slot empty', () => {
    const { ctx, broken } = replay('publish-early');
    expect(broken).toEqual(['online-vcpu-seen']);
    expect(ctx.online_vcpus).toBe(config.vcpus + 1);
    expect(ctx.model_new_vcpu_stored).toBe(false);
    const walks = [...ctx.model_walk, ...(ctx.model_foreign_walk ?? [])];
    expect(walks.some((f) => f & READER_MUST_SEE && !(f & READER_SAW))).toBe(true);
  });
});

describe('vcpus-array: what the verdicts rest on', () => {
  for (const name of ['move-request', 'srcu']) {
    it(`${name}: the old array is freed and vCPU N comes online (the verdict is not vacuous)`, () => {
      expect(probe(name, ({ context }) => !ctxOf(context).model_freed).verdict).toBe('violated');
      expect(probe(name, ({ context }) => ctxOf(context).online_vcpus === config.vcpus).verdict).toBe('violated');
    });
  }

  for (const name of ['move-request', 'srcu', 'append-list']) {
    it(`${name}: a walk that must see vCPU N does see it (reached, so online-vcpu-seen is tested there)`, () => {
      const sawNew = ({ context }: { context: unknown }) => ![...ctxOf(context).model_walk, ...(ctxOf(context).model_foreign_walk ?? [])].some((f) => f & READER_MUST_SEE && f & READER_SAW);
      expect(probe(name, sawNew).verdict).toBe('violated');
    });
  }

  it('srcu: a reader holds the old array while it is retired (the grace period is what protects it)', () => {
    const run = probe('srcu', ({ value, context }) => {
      const ctx = ctxOf(context);
      return !(ctx.kvm_vcpus === 1 && value.foreign0 === 'online_read' && (ctx.model_foreign_walk![0]! & READER_ARRAY1) === 0);
    });
    expect(run.verdict).toBe('violated');
  });
});
