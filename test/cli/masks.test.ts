import { describe, expect, it } from 'vitest';
import { checkConsumer } from '../../cli/masksCommand.ts';
import { IN_GUEST_MODE, READING_SHADOW_PAGE_TABLES } from '../../models/kvm_host.ts';
import { modeSet, WAIT_REQUEST_RULES } from '../../models/kvm_request_needs_ipi.ts';
import { guestMode } from '../../specs/guest-mode.ts';
import { allMasks, maskLabel, maskLeq, minimalMasks } from '../../specs/masks.ts';

describe('per-mode kick/wait masks', () => {
  it('are the 27 combinations of none / kick / kick+wait in IN, EXITING and READING_SPT', () => {
    const masks = allMasks();
    expect(masks).toHaveLength(27);
    expect(new Set(masks.map(maskLabel)).size).toBe(27);
    for (const m of masks) expect(m.wait & ~m.ipi).toBe(0); // waiting needs an IPI of one's own
  });

  it('minimal elements drop every mask above another safe one', () => {
    const a = { ipi: modeSet(IN_GUEST_MODE), wait: 0 };
    const b = { ipi: modeSet(IN_GUEST_MODE), wait: modeSet(IN_GUEST_MODE) };
    const c = { ipi: modeSet(READING_SHADOW_PAGE_TABLES), wait: 0 };
    expect(maskLeq(a, b)).toBe(true);
    expect(maskLeq(b, a)).toBe(false);
    expect(minimalMasks([a, b, c]).map(maskLabel).sort()).toEqual([maskLabel(a), maskLabel(c)].sort());
  });
});

describe('kvmcheck masks on guest-mode (1 vCPU x 2 requesters, every mask explored)', () => {
  const freed = guestMode.consumers!.find((c) => c.name === 'freed-resource')!;
  const report = checkConsumer(guestMode, freed, { vcpus: 1, requesters: 2 });

  it("finds the kernel's WAIT rule safe and RFC 1/6's unsafe", () => {
    expect(report.safe).toContain(maskLabel(WAIT_REQUEST_RULES.kernel));
    expect(report.safe).not.toContain(maskLabel(WAIT_REQUEST_RULES['rfc-1-6']));
    const rfc = report.masks.find((m) => m.label === maskLabel(WAIT_REQUEST_RULES['rfc-1-6']))!;
    expect(rfc.property).toBe('no-missed-wait');
    expect(rfc.counterexampleLength).toBeGreaterThan(0);
    expect(report.kernel.safe).toBe(true);
  });

  it('reports minimal safe masks that are safe and have no safe mask below them', () => {
    expect(report.minimal.length).toBeGreaterThan(0);
    for (const label of report.minimal) expect(report.safe).toContain(label);
    expect(report.masks.filter((m) => m.safe === true).map((m) => m.label).sort()).toEqual([...report.safe].sort());
  });
});
