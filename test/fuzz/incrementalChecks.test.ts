/**
 * Incremental property checking (checker/fuzz/incrementalChecks.ts) must answer exactly what a full
 * evaluation answers, on every state of random schedules of guest-mode — violating variants
 * included, and on through their violations, so that conjuncts turn false and back to true. Both
 * the properties as specs write them (conjunctions of one predicate per vCPU) and each conjunct on
 * its own are compared against the predicate evaluated on the decoded state; so are probes, made
 * up here, that change value at most steps and read different fields on different states.
 */
import { describe, expect, it } from 'vitest';
import { fuzz, incrementalChecks, type SafetyCheck, type SafetyPredicate } from '../../checker/fuzz/index.ts';
import { allOf, conjunctsOf, type StateView, type ViewProperty } from '../../checker/xstate/index.ts';
import { compileStepSystem } from '../../checker/xstate/stepMachine.ts';
import type { KvmContext } from '../../models/context.ts';
import { IPI_IDLE } from '../../models/kvm_host.ts';
import { requesterName, vcpuName } from '../../models/kvm.ts';
import { guestMode } from '../../specs/guest-mode.ts';

const seed = process.env.CI ? 20_260_121 : Math.floor(Math.random() * 0x7fffffff);

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Per vCPU: in the guest, "no request pending"; elsewhere, "every requester that has touched it is
 * done". Unlike the spec's properties (true nearly everywhere, so a stale true would go unseen),
 * these flip at most steps, and what they read depends on the state.
 */
const probes = (vcpus: number): SafetyPredicate => ({
  name: 'probe',
  holds: allOf(
    range(vcpus).map((v) => ({ value, context }: StateView) => {
      const ctx = context as unknown as KvmContext;
      return value[vcpuName(v)] === 'guest' ? ctx.requests[v] === 0 : ctx.model_ipi.every((row, r) => row[v] === IPI_IDLE || value[requesterName(r)] === 'done');
    }),
  ),
});

/** States where the expected property is false that the violating variants must reach (more seeds are tried until then). */
const FALSE_STATES = 20;

describe(`incremental safety checks = full evaluation (seed ${seed})`, () => {
  it.each([
    ['kernel', 8],
    ['rfc-1-6', 2],
    ['check-before-mode', 2],
  ] as const)('guest-mode/%s at %i vCPUs x 2 requesters: every state of random schedules', (name, vcpus) => {
    const variant = guestMode.variants.find((v) => v.name === name)!;
    const instance = variant.build({ vcpus, requesters: 2 });
    const system = compileStepSystem(instance.machine);
    const safety: SafetyPredicate[] = [...instance.properties.filter((p): p is Extract<ViewProperty, { kind: 'always' }> => p.kind === 'always'), probes(vcpus)];
    const conjuncts: SafetyPredicate[] = safety.flatMap((p) => conjunctsOf(p.holds).map((holds, j) => ({ name: `${p.name}#${j}`, holds })));
    expect(conjuncts).toHaveLength(3 * vcpus);
    const compared = [
      { predicates: safety, checks: incrementalChecks(system, safety) },
      { predicates: conjuncts, checks: incrementalChecks(system, conjuncts) },
    ];
    // per property and per probe: states where it is false
    const falseStates = new Map<string, number>([...safety, ...conjuncts.slice(-vcpus)].map((p) => [p.name, 0]));
    let states = 0;
    // never violated unless the two disagree: the schedules run on through violations of the spec
    const agree: SafetyCheck = {
      name: 'incremental = full',
      holds: (state) => {
        states++;
        for (const { predicates, checks } of compared) {
          for (let i = 0; i < predicates.length; i++) {
            const full = predicates[i]!.holds(system.view);
            if (checks[i]!.holds(state) !== full) return false;
            const n = falseStates.get(predicates[i]!.name);
            if (!full && n !== undefined) falseStates.set(predicates[i]!.name, n + 1);
          }
        }
        return true;
      },
    };
    const expected = variant.expected.verdict === 'violated' ? variant.expected.property : null;
    for (let round = 0; round < 20 && (round === 0 || (expected !== null && falseStates.get(expected)! < FALSE_STATES)); round++) {
      const r = fuzz(system, [agree], { runs: 300, maxSteps: 300, seed: seed + round, checkDeadlock: false });
      expect(r.violation, `seed ${seed + round}: ${r.violation?.replay}`).toBeNull();
    }
    expect(states).toBeGreaterThan(10_000);
    if (expected !== null) expect(falseStates.get(expected)).toBeGreaterThanOrEqual(FALSE_STATES);
    else for (const p of safety.slice(0, -1)) expect(falseStates.get(p.name), p.name).toBe(0);
    // every probe is false in a good share of the states
    for (const v of range(vcpus)) expect(falseStates.get(`probe#${v}`)).toBeGreaterThan(states / 100);
  });
});
