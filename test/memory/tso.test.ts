/**
 * The store-buffer layer on the compiled path: where it must coincide with sequential consistency
 * it does, state for state; where it must add behaviours it only adds; and it refuses a model
 * that writes shared memory without saying how.
 */
import { type AnyStateMachine, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/engine/index.ts';
import { withStoreBuffers } from '../../checker/memory/index.ts';
import { bindProperties, compileMachine, ConventionError } from '../../checker/xstate/index.ts';
import { main } from '../../cli/main.ts';
import { guestMode } from '../../specs/guest-mode.ts';
import { LITMUS, litmusMachine } from '../../specs/litmus.ts';
import { to } from '../../models/transition.ts';
import { firstDifference } from '../xstate/helpers.ts';

const kernel = guestMode.variants.find((v) => v.name === 'kernel')!;
const config = { vcpus: 2, requesters: 1 };

function count(system: Parameters<typeof explore>[0], props: Parameters<typeof explore>[1] = []) {
  const r = explore(system, props, {});
  return { states: r.states, transitions: r.transitions, verdict: r.property };
}

describe('tso layer: sanity against sc', () => {
  it('with store buffers of size 0 (stores write through) guest-mode has exactly the sc state space', () => {
    const { machine, properties } = kernel.build(config);
    const sc = compileMachine(machine);
    const tso0 = withStoreBuffers(machine, compileMachine(machine), { bufferSize: 0 });
    const safety = properties.filter((p) => p.kind === 'always');
    const a = count(sc, bindProperties(sc, safety));
    const b = count(tso0, bindProperties(tso0, safety));
    expect(b).toEqual(a);
    expect(a.states).toBeGreaterThan(1000);
  });

  it('with buffers, guest-mode (kernel) has more states than sc and still no violation', () => {
    const { machine, properties } = kernel.build(config);
    const safety = properties.filter((p) => p.kind === 'always');
    const sc = compileMachine(machine);
    const tso = withStoreBuffers(machine, compileMachine(machine));
    const a = count(sc, bindProperties(sc, safety));
    const b = count(tso, bindProperties(tso, safety));
    expect(a.verdict).toBeNull();
    expect(b.verdict).toBeNull();
    expect(b.states).toBeGreaterThan(a.states);
  });

  it('a litmus test whose every store is a locked RMW has the sc state count under tso', () => {
    const fenced = LITMUS.find((t) => t.name === 'SB+xchgs')!;
    const plain = LITMUS.find((t) => t.name === 'SB')!;
    const sizes = [fenced, plain].map((t) => {
      const m = litmusMachine(t);
      return { sc: count(compileMachine(m)).states, tso: count(withStoreBuffers(m, compileMachine(m))).states };
    });
    expect(sizes[0]!.tso).toBe(sizes[0]!.sc);
    expect(sizes[1]!.tso).toBeGreaterThan(sizes[1]!.sc);
  });

  it('refuses a step that writes a shared variable without declaring its access', () => {
    const machine = setup({ types: { context: {} as { x: number } } }).createMachine({
      type: 'parallel',
      context: { x: 0 },
      meta: { kvmcheck: { vars: { x: { type: 'int', max: 1 } }, shared: ['x'] } },
      states: { P0: { initial: 'a', states: { a: { on: { 'P0.write': to<{ x: number }>('b', { update: () => ({ x: 1 }) }) } }, b: {} } } } as never,
    }) as unknown as AnyStateMachine;
    expect(() => count(compileMachine(machine))).not.toThrow();
    expect(() => count(withStoreBuffers(machine, compileMachine(machine)))).toThrow(ConventionError);
  });
});

describe('tso layer: one thread at a time through generated code', () => {
  it('gives the successors of event-by-event memo lookups, state for state (guest-mode barrier variants, litmus SB, under tso and arm64-like)', () => {
    const machines = [
      ...['kernel', 'no-mb-enter-guest', 'no-mb-exiting-guest-mode'].map((name) => guestMode.variants.find((v) => v.name === name)!.build(config).machine),
      litmusMachine(LITMUS.find((t) => t.name === 'SB')!),
    ];
    for (const machine of machines) {
      for (const weakAtomics of [false, true]) {
        const generated = withStoreBuffers(machine, compileMachine(machine, { generateAfter: 0 }), { weakAtomics });
        const eventByEvent = withStoreBuffers(machine, compileMachine(machine, { generateAfter: Number.POSITIVE_INFINITY }), { weakAtomics });
        expect(firstDifference(generated, eventByEvent, 20_000)).toBeNull();
      }
    }
  });
});

describe('--memory-model on the command line', () => {
  it('refuses --interpreted with tso and an unknown model, with exit 2', () => {
    expect(main(['check', 'litmus', '--variant', 'SB', '--interpreted', '--memory-model', 'tso', '--json'])).toBe(2);
    expect(main(['check', 'litmus', '--variant', 'SB', '--memory-model', 'pso', '--json'])).toBe(2);
  });
});
