/**
 * The table-free compiled path for random schedules (checker/xstate/stepMachine.ts) must be the
 * same transition system as compile.ts: same initial state, same (action, successor) sequence and
 * isFinal at every state; and its `view` is the decoded loaded state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { compileMachine, interpretMachine } from '../../checker/xstate/index.ts';
import { compileStepSystem } from '../../checker/xstate/stepMachine.ts';
import { createKvmMachine } from '../../models/kvm.ts';
import { WAIT_REQUEST_RULES } from '../../models/kvm_request_needs_ipi.ts';
import { fcSeed, firstDifference, key, successorList } from './helpers.ts';

describe('stepMachine vs compile', () => {
  it.each([
    [1, 1, 'kernel'],
    [2, 2, 'rfc-1-6'],
    [3, 2, 'kernel'],
    [4, 3, 'paolo'],
  ] as const)('KVM %i x %i (%s): random walks of up to 1000 steps agree step by step, view included', (vcpus, requesters, rule) => {
    const m = createKvmMachine({ vcpus, requesters, waitRequestMask: WAIT_REQUEST_RULES[rule] });
    const compiled = compileMachine(m);
    const stepped = compileStepSystem(m);
    const init = new Uint32Array(compiled.stateWords);
    compiled.initial(init);
    const init2 = new Uint32Array(stepped.stateWords);
    stepped.initial(init2);
    expect(key(init2)).toBe(key(init));
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 1000, size: 'max' }), (choices) => {
        let cur = init;
        for (const choice of choices) {
          const c = successorList(compiled, cur);
          const s = successorList(stepped, cur);
          expect(s).toEqual(c);
          expect(stepped.isFinal()).toBe(compiled.isFinal());
          expect(stepped.view.value).toEqual(compiled.layout.value(cur));
          expect(stepped.view.context).toEqual(compiled.layout.readContext(cur));
          if (c.length === 0) return;
          cur = Uint32Array.from(c[choice % c.length]![1]);
        }
      }),
      { numRuns: 5, ...fcSeed() },
    );
  });

  it('a tiny machine with final states, guarded alternatives and several assigns: the same as XState everywhere', () => {
    const build = () =>
      createMachine({
        type: 'parallel',
        context: { n: 0, xs: [0, 0] },
        meta: { kvmcheck: { groups: { g: ['s', 't'] }, vars: { n: { type: 'int', max: 3 }, xs: { type: 'int', max: 3, dims: ['g'] } } } },
        states: {
          s: {
            initial: 'go',
            states: {
              go: {
                on: {
                  's.step': [
                    { target: 'end', guard: ({ context }: { context: { n: number } }) => context.n === 3 },
                    { actions: [assign({ n: ({ context }: { context: { n: number } }) => context.n + 1 }), assign({ xs: ({ context }: { context: { n: number; xs: number[] } }) => [context.n, context.xs[1]!] })] },
                  ],
                },
              },
              end: { type: 'final' },
            },
          },
          t: {
            initial: 'go',
            states: {
              go: { on: { 't.copy': { target: 'end', guard: ({ context }: { context: { xs: number[] } }) => context.xs[0]! > 1, actions: assign({ xs: ({ context }: { context: { xs: number[] } }) => [context.xs[0]!, context.xs[0]!] }) } } },
              end: { type: 'final' },
            },
          },
        },
      } as never);
    expect(firstDifference(compileStepSystem(build()), interpretMachine(build()))).toBeNull();
    expect(firstDifference(compileStepSystem(build()), compileMachine(build()))).toBeNull();
  });
});
