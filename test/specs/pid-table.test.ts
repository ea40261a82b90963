import { brokenAt, replaySnapshots } from './replay.ts';
import type { AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { always, type ViewPredicate } from '../../checker/xstate/index.ts';
import { asExpected, type RunResult, runVariant } from '../../cli/runSpec.ts';
import { EXITING_GUEST_MODE, IPI_NONE, IPI_SENT } from '../../models/kvm_host.ts';
import type { PidTableContext } from '../../models/vmx_expand_pid_table.ts';
import type { Variant } from '../../specs/index.ts';
import { EXAMPLE_VM, getOrder, KVM_MAX_VCPU_IDS, PAGE_SIZE, pidTable, pidTableBytes } from '../../specs/pid-table.ts';

const config = pidTable.defaults;
const variantNamed = (name: string): Variant => pidTable.variants.find((v) => v.name === name)!;
const KiB = 1024;

/** Each variant is explored once per symmetry setting and the results shared by the tests below. */
const runs = new Map<string, RunResult>();
function runOf(name: string, symmetry = true): RunResult {
  const key = `${name}/${symmetry}`;
  if (!runs.has(key)) runs.set(key, runVariant(pidTable, variantNamed(name), config, { symmetry }));
  return runs.get(key)!;
}

/** The same machine checked against one other safety predicate (a probe, not a spec property). */
function probe(name: string, predicate: ViewPredicate): RunResult {
  const variant = variantNamed(name);
  const probed: Variant = { ...variant, build: (c) => ({ machine: variant.build(c).machine, properties: [always('probe', predicate)] }) };
  return runVariant(pidTable, probed, config);
}

describe('pid-table: every variant gets its verdict by exploration', () => {
  for (const variant of pidTable.variants) {
    it(`${variant.name} is ${variant.expected.verdict} with and without symmetry`, () => {
      const withSym = runOf(variant.name, true);
      const without = runOf(variant.name, false);
      expect(asExpected(withSym)).toBe(true);
      expect(asExpected(without)).toBe(true);
      if (withSym.symmetry && withSym.verdict === 'holds') expect(without.states).toBeGreaterThan(withSym.states);
      expect(without.counterexample?.steps.length).toBe(withSym.counterexample?.steps.length);
    });
  }

  it('the running vCPUs are declared symmetric except where a vCPU is still being created', () => {
    expect(runOf('v5-patch').symmetry).toBe(true);
    expect(runOf('v5-concurrent-create').symmetry).toBe(false);
  });

  it('the property is not vacuous: some variant violates it', () => {
    const names = variantNamed('v5-patch').build(config).properties.map((p) => p.name);
    const violated = new Set(pidTable.variants.map((v) => runOf(v.name).property));
    for (const name of names) expect(violated.has(name), name).toBe(true);
  });
});

/** Replays a variant's counterexample on the XState machine itself, event by event, with `transition()`. */
function replay(name: string): { snapshot: AnyMachineSnapshot; ctx: PidTableContext; holds: boolean } {
  const variant = variantNamed(name);
  const run = runOf(name);
  const { machine, properties } = variant.build(config);
  const snapshot = replaySnapshots(machine, run.counterexample!.steps).pop()!;
  return {
    snapshot,
    ctx: snapshot.context as PidTableContext,
    holds: brokenAt(properties, snapshot).length === 0,
  };
}

/** The vCPUs in guest mode (or committed to VM-entry) at the end of a replay. */
const inGuest = (snapshot: AnyMachineSnapshot): number[] =>
  Object.entries(snapshot.value as Record<string, string>).flatMap(([thread, pc]) => (thread.startsWith('vcpu') && pc === 'guest' ? [Number(thread.slice(4))] : []));

describe('pid-table counterexamples replay on the XState machine and end with a vCPU in guest mode on the freed table', () => {
  it('no-wait: the IPI is sent but the table is freed before the vCPU has taken it', () => {
    const { snapshot, ctx, holds } = replay('no-wait');
    expect(holds).toBe(false);
    const [v] = inGuest(snapshot);
    expect(ctx.model_freed && ctx.vmcs_pid_table[v!] === 0).toBe(true);
    expect(ctx.model_ipi[0]![v!]).toBe(IPI_SENT);
  });

  it('exiting-skip: a plain kick left the vCPU EXITING_GUEST_MODE, so the WAIT request neither IPIs nor waits for it', () => {
    const { snapshot, ctx, holds } = replay('exiting-skip');
    expect(holds).toBe(false);
    const [v] = inGuest(snapshot);
    expect(ctx.mode[v!]).toBe(EXITING_GUEST_MODE);
    expect(ctx.model_ipi[0]![v!]).toBe(IPI_NONE);
    expect(ctx.requests[v!]).not.toBe(0); // the request is there, the vCPU has not left the guest to see it
  });

  it('v5-concurrent-create: the vCPU created with the old table came online after the request skipped it', () => {
    const { snapshot, ctx, holds } = replay('v5-concurrent-create');
    expect(holds).toBe(false);
    expect(inGuest(snapshot)).toEqual([config.vcpus]);
    expect(ctx.requests[config.vcpus]).toBe(0);
    expect(ctx.vmcs_pid_table[config.vcpus]).toBe(0);
    expect(runOf('v5-concurrent-create').counterexample!.steps.map((s) => s.action)).toContain(`kvm_for_each_vcpu(offline):vcpu${config.vcpus}`);
  });
});

describe('pid-table: what the verdicts rest on', () => {
  it('v5-patch: a vCPU may hold the freed table before its final request check (a predicate flagging that would call the design unsafe)', () => {
    const beforeFinalCheck = new Set(['mmu_loaded', 'IN_GUEST_MODE', 'exit_request_mode_read']);
    const run = probe('v5-patch', ({ value, context }) => {
      const ctx = context as unknown as PidTableContext;
      return ctx.vmcs_pid_table.every((table, v) => !(beforeFinalCheck.has(value[`vcpu${v}`]!) && ctx.model_freed && table === 0));
    });
    expect(run.verdict).toBe('violated');
  });

  it('v5-patch frees the old table; max-vcpu-ids creates its vCPU and never frees a table', () => {
    expect(probe('v5-patch', ({ context }) => !(context as unknown as PidTableContext).model_freed).verdict).toBe('violated');
    expect(probe('max-vcpu-ids', ({ value }) => value.creator0 !== 'done').verdict).toBe('violated');
    expect(probe('max-vcpu-ids', ({ context }) => !(context as unknown as PidTableContext).model_freed).verdict).toBe('holds');
  });
});

describe('pid-table: table bytes per design (Zeng, points 1 and 2)', () => {
  it('get_order() rounds up to a power-of-two number of pages', () => {
    expect([1, PAGE_SIZE, PAGE_SIZE + 1, 8 * KiB, 32 * KiB].map(getOrder)).toEqual([0, 0, 1, 1, 3]);
  });

  it('max_vcpu_ids left unset (old userspace): KVM_MAX_VCPU_IDS entries, the 8 pages v1-v4 allocated for every VM', () => {
    expect(pidTableBytes('max-vcpu-ids', { apicIds: [0] }).table).toBe(8 * PAGE_SIZE);
    expect(KVM_MAX_VCPU_IDS * 8).toBe(32 * KiB);
  });

  it('the example VM (APIC IDs 0,1,2,1023; userspace allows IDs below 4096): v5 8 KiB (12 KiB while resizing), max_vcpu_ids 32 KiB', () => {
    expect(pidTableBytes('v5-patch', EXAMPLE_VM)).toEqual({ table: 8 * KiB, peak: 12 * KiB });
    expect(pidTableBytes('max-vcpu-ids', EXAMPLE_VM)).toEqual({ table: 32 * KiB, peak: 32 * KiB });
  });

  it('point 2 (-smp 4,maxcpus=1024): v5 keeps one page, max_vcpu_ids pays for every possible vCPU', () => {
    const vm = { apicIds: [0, 1, 2, 3], maxVcpuIds: 1024 };
    expect(pidTableBytes('v5-patch', vm)).toEqual({ table: 4 * KiB, peak: 4 * KiB });
    expect(pidTableBytes('max-vcpu-ids', vm).table).toBe(8 * KiB);
  });

  it('point 1 (a large APIC ID): both designs size by the largest ID; a tight max_vcpu_ids costs what v5 keeps', () => {
    expect(pidTableBytes('max-vcpu-ids', { apicIds: [0, 1, 2, 1023], maxVcpuIds: 1024 }).table).toBe(pidTableBytes('v5-patch', EXAMPLE_VM).table);
    expect(pidTableBytes('v5-patch', { apicIds: [0, 4095] })).toEqual({ table: 32 * KiB, peak: 36 * KiB });
  });

  it('v5 grows in the order vCPUs are created: the peak is the largest old + new pair', () => {
    expect(pidTableBytes('v5-patch', { apicIds: [600, 1100, 2100] })).toEqual({ table: 32 * KiB, peak: 48 * KiB });
  });

  it('`kvmcheck list` shows the example VM figures in the variant descriptions', () => {
    expect(variantNamed('v5-patch').description).toContain('[8 KiB, 12 KiB while resizing]');
    expect(variantNamed('max-vcpu-ids').description).toContain('[32 KiB]');
  });
});
