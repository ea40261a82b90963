/**
 * The barrier variants of guest-mode under sc and tso, found by exploration, and the sc figures
 * of the kernel variant as they were before the memory-model layer existed.
 */
import { describe, expect, it } from 'vitest';
import { asExpected, runVariant } from '../../cli/runSpec.ts';
import { guestMode } from '../../specs/guest-mode.ts';

const variant = (name: string) => guestMode.variants.find((v) => v.name === name)!;
const small = { vcpus: 2, requesters: 1 };

describe('guest-mode barrier variants under sc and tso', () => {
  it('kernel holds under both', () => {
    for (const memoryModel of ['sc', 'tso'] as const) {
      const run = runVariant(guestMode, variant('kernel'), small, { memoryModel, properties: 'safety' });
      expect(run.verdict, memoryModel).toBe('holds');
      expect(run.memoryModel).toBe(memoryModel);
    }
  });

  it('no-mb-enter-guest holds under sc and misses a request under tso: the mode store drains after the requester read the old mode', () => {
    const sc = runVariant(guestMode, variant('no-mb-enter-guest'), small, { memoryModel: 'sc', properties: 'safety' });
    expect(sc.verdict).toBe('holds');
    const tso = runVariant(guestMode, variant('no-mb-enter-guest'), guestMode.defaults, { memoryModel: 'tso' });
    expect(tso.verdict).toBe('violated');
    expect(tso.property).toBe('no-missed-request');
    expect(asExpected(tso)).toBe(true);
    const steps = tso.counterexample!.steps;
    const buffered = steps.findIndex((s) => s.action === 'vcpu_enter_guest(IN_GUEST_MODE)');
    const read = steps.findIndex((s) => s.thread.startsWith('requester') && s.action === 'kvm_vcpu_exiting_guest_mode');
    const drain = steps.findIndex((s) => s.action === `drain(mode[${steps[buffered]!.thread}])`);
    expect(steps[buffered]!.changes[`store_buffer[${steps[buffered]!.thread}]`]).toBe(`mode[${steps[buffered]!.thread}]:=IN_GUEST_MODE`);
    expect(buffered).toBeGreaterThanOrEqual(0);
    expect(read).toBeGreaterThan(buffered);
    expect(drain).toBeGreaterThan(read);
  });

  it('no-mb-exiting-guest-mode holds under sc and tso (locked set_bit/cmpxchg) and misses a request under arm64-like', () => {
    for (const memoryModel of ['sc', 'tso'] as const) {
      const mutant = runVariant(guestMode, variant('no-mb-exiting-guest-mode'), small, { memoryModel, properties: 'safety' });
      const kernel = runVariant(guestMode, variant('kernel'), small, { memoryModel, properties: 'safety' });
      expect(mutant.verdict, memoryModel).toBe('holds');
      // on x86 the barrier changes nothing: the same state space
      expect([mutant.states, mutant.transitions], memoryModel).toEqual([kernel.states, kernel.transitions]);
    }
    const arm = runVariant(guestMode, variant('no-mb-exiting-guest-mode'), small, { memoryModel: 'arm64-like' });
    expect(arm.property).toBe('no-missed-request');
    expect(asExpected(arm)).toBe(true);
    // the request bit is posted, the failed cmpxchg reads the old mode, the bit reaches memory only later
    const steps = arm.counterexample!.steps;
    const posted = steps.findIndex((s) => Object.values(s.changes).some((c) => String(c).startsWith('requests[vcpu') && String(c).includes('|=')));
    const read = steps.findIndex((s) => s.action === 'kvm_vcpu_exiting_guest_mode');
    const drain = steps.findIndex((s) => s.action.startsWith('drain(requests['));
    expect(posted).toBeGreaterThanOrEqual(0);
    expect(read).toBeGreaterThan(posted);
    expect(drain).toBeGreaterThan(read);
  });

  it('kernel holds under arm64-like', () => {
    expect(runVariant(guestMode, variant('kernel'), small, { memoryModel: 'arm64-like', properties: 'safety' }).verdict).toBe('holds');
  });

  it('check-before-mode (the mode store and the request check swapped) misses a request under both', () => {
    for (const memoryModel of ['sc', 'tso'] as const) {
      const run = runVariant(guestMode, variant('check-before-mode'), small, { memoryModel, properties: 'safety' });
      expect(run.property, memoryModel).toBe('no-missed-request');
    }
  });

  it('the sc figures of kernel at 2x2 are those measured before the memory-model layer (275423 states, 1037771 transitions)', () => {
    const run = runVariant(guestMode, variant('kernel'), guestMode.defaults, { properties: 'safety' });
    expect(run.memoryModel).toBe('sc');
    expect([run.states, run.transitions]).toEqual([275423, 1037771]);
  });
});
