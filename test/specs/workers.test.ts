import { beforeAll, describe, expect, it } from 'vitest';
import { exploreParallel } from '../../checker/engine/index.ts';
import { isLiveness } from '../../checker/xstate/index.ts';
import { asExpected, type RunOptions, runVariant, runVariantParallel } from '../../cli/runSpec.ts';
import { specSystemFactory } from '../../cli/systemFactory.ts';
import { SPECS, type Spec, type SpecConfig, type Variant } from '../../specs/index.ts';

// These runs are shorter than the time the calling thread explores alone before starting worker
// threads: a first run starts them at once, and the runs below take the released pool, whose
// worker then explores from the first level.
beforeAll(async () => {
  await exploreParallel(specSystemFactory({ spec: 'guest-mode', variant: 'kernel', config: { vcpus: 2, requesters: 1 }, properties: 'safety' }), {
    workers: 2,
    startWorkersAfterSeconds: 0,
  });
});

/** 2 worker threads get what the sequential engine gets: verdict, property, a safety counterexample's length, and for 'holds' the figures. */
async function agree(spec: Spec, variant: Variant, config: SpecConfig, options: RunOptions): Promise<void> {
  const seq = runVariant(spec, variant, config, options);
  const par = await runVariantParallel(spec, variant, config, { ...options, workers: 2 });
  expect(par.workers).toBe(2);
  expect([par.verdict, par.property, par.symmetry]).toEqual([seq.verdict, seq.property, seq.symmetry]);
  // both are shortest counterexamples; a lasso's cycle may differ (the fair-cycle search follows ids, whose order within a level follows thread timing)
  expect(par.counterexample?.loopStart === null).toBe(seq.counterexample?.loopStart === null);
  if (seq.counterexample?.loopStart === null) expect(par.counterexample?.steps.length).toBe(seq.counterexample.steps.length);
  if (seq.verdict === 'holds') expect([par.states, par.transitions, par.depth]).toEqual([seq.states, seq.transitions, seq.depth]);
  expect(asExpected(par)).toBe(asExpected(seq));
}

describe('2 workers agree with the sequential engine on every spec variant (safety, default configuration, symmetry on)', () => {
  for (const spec of SPECS) {
    for (const variant of spec.variants) {
      const config = variant.defaults ?? spec.defaults;
      it(`${spec.name} ${variant.name} (${config.vcpus}x${config.requesters})`, async () => {
        await agree(spec, variant, config, { properties: 'safety', symmetry: true });
      });
    }
  }
});

describe('2 workers agree with the sequential engine under weak memory models (safety, at most 2 vCPUs x 1 requester)', () => {
  for (const spec of SPECS) {
    for (const variant of spec.variants) {
      const defaults = variant.defaults ?? spec.defaults;
      // guest-mode kernel under tso at 2x2 stores 3.2 M states: too long for a test
      const config = { vcpus: Math.min(defaults.vcpus, 2), requesters: Math.min(defaults.requesters, 1) };
      for (const memoryModel of variant.memoryModels?.filter((m) => m !== 'sc') ?? []) {
        it(`${spec.name} ${variant.name} under ${memoryModel} (${config.vcpus}x${config.requesters})`, async () => {
          await agree(spec, variant, config, { properties: 'safety', memoryModel });
        });
      }
    }
  }
});

describe('2 workers agree with the sequential engine on every spec variant with liveness properties (all properties; symmetry on at the default configuration, off at most 2 vCPUs x 1 requester)', () => {
  for (const spec of SPECS) {
    for (const variant of spec.variants) {
      const defaults = variant.defaults ?? spec.defaults;
      if (!variant.build(defaults).properties.some(isLiveness)) continue;
      const small = { vcpus: Math.min(defaults.vcpus, 2), requesters: Math.min(defaults.requesters, 1) };
      for (const [config, symmetry] of [[defaults, true], [small, false]] as const) {
        it(`${spec.name} ${variant.name} (${config.vcpus}x${config.requesters}), symmetry ${symmetry ? 'on' : 'off'}`, async () => {
          await agree(spec, variant, config, { properties: 'all', symmetry });
        });
      }
    }
  }
});
