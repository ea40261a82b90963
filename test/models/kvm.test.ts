/**
 * Pins the size of the KVM model (models/kvm.ts) so that an accidental model change shows up:
 * exact reachable-state and transition counts from a plain BFS (a Set of joined words) over the
 * compiled system, and the same reachable set from XState's own semantics (the interpreted path)
 * where that is cheap.
 *
 * If a model change is intended, recompute the literals (the failure message shows the new
 * counts) and update them together with the change.
 */
import { describe, expect, it } from 'vitest';
import { compileMachine, interpretMachine } from '../../checker/xstate/index.ts';
import { createKvmMachine } from '../../models/kvm.ts';
import { WAIT_REQUEST_RULES } from '../../models/kvm_request_needs_ipi.ts';
import { firstDifference, reachable } from '../xstate/helpers.ts';

const kernel = (vcpus: number, requesters: number) => createKvmMachine({ vcpus, requesters, waitRequestMask: WAIT_REQUEST_RULES.kernel });

/** Pinned: reachable states and transitions of the `kernel` rule, default options. */
const PINNED = {
  '1x1': { states: 246, transitions: 442 },
  '2x1': { states: 13104, transitions: 38981 },
} as const;

describe('KVM model size (rule kernel)', () => {
  it.each([
    [1, 1],
    [2, 1],
  ] as const)('%i vCPU(s) x %i requester(s): pinned reachable-state and transition counts', (vcpus, requesters) => {
    const r = reachable(compileMachine(kernel(vcpus, requesters)));
    expect({ states: r.states.size, transitions: r.transitions }).toEqual(PINNED[`${vcpus}x${requesters}`]);
  });

  it('1 vCPU x 1 requester: the interpreted system (XState transition()) reaches exactly the same states', () => {
    const compiled = reachable(compileMachine(kernel(1, 1)));
    const interpreted = reachable(interpretMachine(kernel(1, 1)));
    expect(interpreted.states.size).toBe(PINNED['1x1'].states);
    expect(interpreted.transitions).toBe(PINNED['1x1'].transitions);
    expect([...interpreted.states].filter((s) => !compiled.states.has(s))).toEqual([]);
  });

  it('1 vCPU x 1 requester: compiled and interpreted agree on the successors of every reachable state', () => {
    expect(firstDifference(compileMachine(kernel(1, 1)), interpretMachine(kernel(1, 1)))).toBeNull();
  });

  it('the machine has the threads and per-thread columns the checker expects', () => {
    const sys = compileMachine(kernel(2, 1));
    expect(sys.threads).toEqual(['vcpu0', 'vcpu1', 'requester0']);
    expect(sys.layout.symmetric).toEqual(['vcpu', 'requester']);
    expect(Object.fromEntries(sys.layout.vars.map((v) => [v.name, v.shape]))).toEqual({ mode: [2], requests: [2], model_ipi: [1, 2], model_retired: [1, 2] });
  });
});
