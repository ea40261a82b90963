import { replaySnapshots } from './replay.ts';
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { ViewProperty } from '../../checker/xstate/index.ts';
import { asExpected, type RunResult, runVariant } from '../../cli/runSpec.ts';
import { kickAll } from '../../specs/kick-all.ts';

const config = kickAll.defaults;
const variantNamed = (name: string) => kickAll.variants.find((v) => v.name === name)!;
const runs = new Map<string, RunResult>();
/** One exploration per variant at the default configuration, shared by the tests below. */
const run = (name: string): RunResult => {
  if (!runs.has(name)) runs.set(name, runVariant(kickAll, variantNamed(name), config));
  return runs.get(name)!;
};

describe('kick-all: every variant gets its verdict by exploration', () => {
  for (const variant of kickAll.variants) {
    it(`${variant.name} is ${variant.expected.verdict}${variant.expected.verdict === 'violated' ? ` (${variant.expected.property})` : ''}`, () => {
      const r = run(variant.name);
      expect(asExpected(r)).toBe(true);
      // the kick-all machine declares no symmetric threads
      expect(r.symmetry).toBe(false);
    });
  }

  it('each property is violated by some variant and holds for others', () => {
    const results = kickAll.variants.map((v) => run(v.name));
    for (const property of ['no-memslot-use-during-update', 'kick-all-completes']) {
      expect(results.some((r) => r.verdict === 'violated' && r.property === property), property).toBe(true);
    }
    expect(results.filter((r) => r.verdict === 'holds').map((r) => r.variant)).toEqual(['signal', 'per-vm-rwsem', 'all-ioctls']);
  });

  it('safety alone holds for every variant but other-ioctls', () => {
    for (const variant of kickAll.variants) {
      const r = runVariant(kickAll, variant, { vcpus: 1, requesters: 1 }, { properties: 'safety' });
      expect(r.verdict, variant.name).toBe(variant.name === 'other-ioctls' ? 'violated' : 'holds');
    }
  });
});

type View = { value: Record<string, string>; context: Record<string, unknown> };
const view = (s: AnyMachineSnapshot): View => ({ value: s.value as Record<string, string>, context: s.context as Record<string, unknown> });
const key = (s: AnyMachineSnapshot): string => JSON.stringify(view(s));

/** The event types thread `thread` accepts in its current state (from the machine definition). */
function threadEvents(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, thread: string): string[] {
  const node = machine.root.states[thread]!.states[view(snapshot).value[thread]!]!;
  return Object.keys(node.config.on ?? {});
}

/** Replays a variant's counterexample on the XState machine with `transition()`: every snapshot, from the initial one. */
function replay(name: string): { machine: AnyStateMachine; properties: readonly ViewProperty[]; snapshots: AnyMachineSnapshot[]; run: RunResult } {
  const r = run(name);
  const { machine, properties } = variantNamed(name).build(config);
  return { machine, properties, snapshots: replaySnapshots(machine, r.counterexample!.steps), run: r };
}

describe('kick-all counterexamples replay on the XState machine', () => {
  for (const name of ['proposal', 'signal-uninterruptible-gup', 'global-rwsem']) {
    it(`${name}: a fair lasso on which KVM_KICK_ALL_RUNNING_VCPUS never completes`, () => {
      const { machine, properties, snapshots, run: r } = replay(name);
      const loopStart = r.counterexample!.loopStart!;
      expect(loopStart).not.toBeNull();
      // the cycle returns to its first state
      expect(key(snapshots[snapshots.length - 1]!)).toBe(key(snapshots[loopStart]!));
      // q never holds along the run
      const completes = properties.find((p) => p.name === 'kick-all-completes')!;
      if (completes.kind !== 'eventually') throw new Error('kick-all-completes is an eventually property');
      expect(snapshots.every((s) => !completes.q(view(s)))).toBe(true);
      // weak fairness: every thread steps in the cycle or is disabled at some state of it
      const cycle = snapshots.slice(loopStart);
      const stepping = new Set(r.counterexample!.steps.slice(loopStart).map((s) => s.thread));
      for (const thread of Object.keys(machine.root.states)) {
        const disabledSomewhere = cycle.some((s) => threadEvents(machine, s, thread).every((type) => !s.can({ type })));
        expect(stepping.has(thread) || disabledSomewhere, `${thread} is treated fairly`).toBe(true);
      }
    });
  }

  it('proposal: the stuck vCPU sleeps in handle_userfault() with no step, the network down for good', () => {
    const { machine, snapshots, run: r } = replay('proposal');
    const cycle = snapshots.slice(r.counterexample!.loopStart!);
    const stuck = Object.keys(machine.root.states).filter((t) => cycle.every((s) => view(s).value[t] === 'handle_userfault'));
    expect(stuck.length).toBe(1);
    expect(cycle.every((s) => threadEvents(machine, s, stuck[0]!).every((type) => !s.can({ type })))).toBe(true);
    expect(cycle.every((s) => view(s).value['postcopy'] !== 'network_up' && view(s).value['requester0'] === 'rwsem_down_write_slowpath')).toBe(true);
  });

  it('signal-uninterruptible-gup: the signal is pending, and still the vCPU sleeps', () => {
    const { snapshots, run: r } = replay('signal-uninterruptible-gup');
    const last = view(snapshots[snapshots.length - 1]!);
    const v = Object.keys(last.value).find((t) => last.value[t] === 'handle_userfault')!;
    expect((last.context['model_sigpending'] as boolean[])[Number(v.slice('vcpu'.length))]).toBe(true);
    expect(r.counterexample!.steps.some((s) => s.action.startsWith('pthread_kill'))).toBe(true);
  });

  it("global-rwsem: the other VM's vCPU keeps the shared rwsem read-held while vm0 waits to write", () => {
    const { snapshots, run: r } = replay('global-rwsem');
    const cycleThreads = new Set(r.counterexample!.steps.slice(r.counterexample!.loopStart!).map((s) => s.thread));
    expect(cycleThreads.has(`vcpu${config.vcpus}`)).toBe(true);
    const last = view(snapshots[snapshots.length - 1]!);
    expect(last.context['memory_transaction_writer']).toEqual([1]);
    expect(last.context['memory_transaction_readers']).toEqual([1]);
  });

  it('other-ioctls: the last state has a vCPU in KVM_SET_NESTED_STATE while the update holds the write side', () => {
    const { properties, snapshots } = replay('other-ioctls');
    const safety = properties.find((p) => p.name === 'no-memslot-use-during-update')!;
    if (safety.kind !== 'always') throw new Error('no-memslot-use-during-update is a safety property');
    expect(safety.holds(view(snapshots[snapshots.length - 1]!))).toBe(false);
    expect(snapshots.slice(0, -1).every((s) => safety.holds(view(s)))).toBe(true);
  });
});

describe('compiled and XState-interpreted exploration agree', () => {
  // the whole graph of the holding design (XState's transition() is slow on this machine: one variant)
  it('signal at 1 vCPU x 1 requester: same verdict and state count', () => {
    const small = { vcpus: 1, requesters: 1 };
    const compiled = runVariant(kickAll, variantNamed('signal'), small);
    const interpreted = runVariant(kickAll, variantNamed('signal'), small, { interpreted: true });
    expect(compiled.verdict).toBe('holds');
    expect(interpreted.verdict).toBe(compiled.verdict);
    expect(interpreted.states).toBe(compiled.states);
    expect(interpreted.transitions).toBe(compiled.transitions);
  });
});
