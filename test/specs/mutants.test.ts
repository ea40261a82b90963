/**
 * Mutants from kernel history (reference §10, §11.9) in guest-mode, each found by exploration at
 * the default configuration with every property checked, its counterexample replayed on the XState
 * machine and showing the bug's mechanism; and each mutant's fixed twin holding. Barrier mutants
 * need a weak memory model and are tested with it (test/memory); the NO_ACTION livelock (§10.4,
 * no-action-logged) is a liveness counterexample (test/specs/guest-mode.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { CounterexampleStep } from '../../checker/report/counterexample.ts';
import { asExpected, runVariant } from '../../cli/runSpec.ts';
import { guestMode } from '../../specs/guest-mode.ts';
import { holdsIn, replayOnXState } from '../fuzz/xstateReplay.ts';

const variant = (name: string) => guestMode.variants.find((v) => v.name === name)!;
const config = guestMode.defaults;

/** The requester that frees the old resource at the end of the counterexample. */
const freer = (steps: readonly CounterexampleStep[]): string => steps.find((s) => s.action === 'free_pages(old)')!.thread;

const MUTANTS = [
  {
    name: 'check-before-mode',
    history: '§10.2: requests checked before mode = IN_GUEST_MODE',
    property: 'no-missed-request',
    twin: 'kernel',
    mechanism: (steps: readonly CounterexampleStep[]) => expect(steps.some((s) => s.action === 'kvm_request_pending')).toBe(true),
  },
  {
    name: 'snp-plain-kick',
    history: '§10.1: a plain kick where WAIT is needed',
    property: 'no-missed-wait',
    twin: 'kick-wait-needs-ipi',
    // the consumer IPIs the vCPU in the guest, does not wait, and frees
    mechanism: (steps: readonly CounterexampleStep[]) => expect(steps.some((s) => s.thread === freer(steps) && s.action === 'smp_send_reschedule')).toBe(true),
  },
  {
    name: 'snp-kick-wait',
    history: '§11.9 item 5: the 2025 waiting kick keeps the old-mode == IN_GUEST_MODE rule',
    property: 'no-missed-wait',
    twin: 'kick-wait-needs-ipi',
    // an earlier plain kick by another requester flips the vCPU to EXITING_GUEST_MODE first
    mechanism: (steps: readonly CounterexampleStep[]) =>
      expect(
        steps.some((s) => s.thread !== freer(steps) && s.action === 'kvm_vcpu_exiting_guest_mode' && Object.values(s.changes).includes('EXITING_GUEST_MODE')),
      ).toBe(true),
  },
  {
    name: 'request-before-change',
    history: '§10.7: the request made before the change it announces is final',
    property: 'no-missed-wait',
    twin: 'kernel',
    // the vCPU consumes the request and reloads the old resource before it is replaced
    mechanism: (steps: readonly CounterexampleStep[]) => {
      const replaced = steps.findIndex((s) => s.action === 'model_replace_resource');
      expect(steps.slice(0, replaced).some((s) => s.action === 'kvm_mmu_reload')).toBe(true);
      expect(steps.findIndex((s) => s.action.startsWith('kvm_make_request(KVM_REQ_TLB_FLUSH)'))).toBeLessThan(replaced);
    },
  },
] as const;

describe('mutants from kernel history are found by exploration', () => {
  for (const m of MUTANTS) {
    it(`${m.name} (${m.history}) violates ${m.property}; the counterexample replays on XState`, () => {
      const run = runVariant(guestMode, variant(m.name), config);
      expect(run.expected).toBe('violated');
      expect(run.verdict).toBe('violated');
      expect(run.property).toBe(m.property);
      expect(asExpected(run)).toBe(true);
      const steps = run.counterexample!.steps;
      const { machine, properties } = variant(m.name).build(config);
      expect(holdsIn(properties, m.property, replayOnXState(machine, steps.slice(0, -1)))).toBe(true);
      expect(holdsIn(properties, m.property, replayOnXState(machine, steps))).toBe(false);
      m.mechanism(steps);
    });
  }
});

describe('their fixed twins hold', () => {
  const twins = [...new Set(MUTANTS.map((m) => m.twin))];
  // safety, under symmetry reduction (kernel's liveness is checked in guest-mode.test.ts)
  it.each(twins)('%s keeps every safety property', (twin) => {
    const run = runVariant(guestMode, variant(twin), config, { properties: 'safety' });
    expect(run.expected).toBe('holds');
    expect(run.verdict).toBe('holds');
  });
});
