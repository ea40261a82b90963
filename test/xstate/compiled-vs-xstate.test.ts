/**
 * The compiled path (compileMachine) against XState's own semantics: the interpreted path
 * (interpretMachine, XState's `transition()` one event at a time) and `transition()` called
 * directly, on random walks over the KVM machine and exhaustively on tiny hand-built machines.
 *
 * Walks: fast-check picks a successor index at each step; the seed is fixed under CI and random
 * otherwise (fast-check prints it on failure). KVMCHECK_WALKS=<n> runs n walks per configuration.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, assign, createMachine, setup, transition } from 'xstate';
import { compileMachine, interpretMachine, type MachineSystem, type StateView } from '../../checker/xstate/index.ts';
import { readMachineSteps } from '../../checker/xstate/machineSteps.ts';
import { createKvmMachine } from '../../models/kvm.ts';
import { WAIT_REQUEST_RULES } from '../../models/kvm_request_needs_ipi.ts';
import { SPECS } from '../../specs/index.ts';
import { fcSeed, firstDifference, key, reachable, successorList } from './helpers.ts';

/** The event type of every action id (the labels drop the `<thread>.` prefix). */
const eventTypesOf = (machine: AnyStateMachine, sys: MachineSystem): string[] => readMachineSteps(machine, sys.layout).actions.map((a) => a.eventType);

/**
 * Checks `emitted` (the compiled successors of `state`) against `transition()` called directly on
 * `machine.resolveState({ value, context })`: each emitted successor unpacks to XState's value and
 * context. With `all`, every other event must leave XState's snapshot unchanged.
 */
function checkAgainstTransition(
  machine: AnyStateMachine,
  sys: MachineSystem,
  eventTypes: readonly string[],
  state: Uint32Array,
  emitted: readonly [number, number[]][],
  isFinal: boolean,
  all: boolean,
): void {
  const { layout } = sys;
  const snapshot = machine.resolveState({ value: layout.value(state), context: layout.readContext(state) });
  expect(snapshot.status === 'done', `isFinal at ${key(state)}`).toBe(isFinal);
  const done = new Set<number>();
  for (const [a, words] of emitted) {
    done.add(a);
    const [after] = transition(machine, snapshot, { type: eventTypes[a]! });
    const where = `${eventTypes[a]} at ${JSON.stringify(layout.value(state))} ${JSON.stringify(layout.readContext(state))}`;
    expect(after, `XState does not take ${where}`).not.toBe(snapshot);
    const next = Uint32Array.from(words);
    expect(after.value, `value after ${where}`).toEqual(layout.value(next));
    expect(after.context, `context after ${where}`).toEqual(layout.readContext(next));
  }
  if (!all) return;
  eventTypes.forEach((type, a) => {
    if (done.has(a)) return;
    expect(transition(machine, snapshot, { type })[0], `XState takes ${type} at ${key(state)}, the compiled path does not`).toBe(snapshot);
  });
}

/** Every reachable state: compiled == interpreted, and compiled == transition() for every event. */
function checkExhaustively(build: () => AnyStateMachine): { states: number; actionsTaken: Set<string>; finals: number } {
  const machine = build();
  const compiled = compileMachine(machine, { generateAfter: 0 });
  const interpreted = interpretMachine(build());
  expect(firstDifference(compiled, interpreted)).toBeNull();
  const eventTypes = eventTypesOf(machine, compiled);
  const { list } = reachable(compiled);
  const actionsTaken = new Set<string>();
  let finals = 0;
  for (const s of list) {
    const emitted = successorList(compiled, s);
    const isFinal = compiled.isFinal();
    if (isFinal) finals++;
    for (const [a] of emitted) actionsTaken.add(eventTypes[a]!);
    checkAgainstTransition(machine, compiled, eventTypes, s, emitted, isFinal, true);
  }
  return { states: list.length, actionsTaken, finals };
}

const WALK_RUNS = Number(process.env.KVMCHECK_WALKS ?? 0);

/**
 * Random walks of 100 to 200 steps (shorter only at a deadlock): at every step the compiled and the interpreted systems emit the
 * same (action, successor) sequence and agree on isFinal, and every emitted successor is what
 * `transition()` computes.
 */
function checkWalks(machine: AnyStateMachine, numRuns: number, wrap: (s: MachineSystem) => MachineSystem = (s) => s): void {
  // generateAfter 0: the generated successor code (memoCode.ts) serves from the first settled state
  const compiled = wrap(compileMachine(machine, { generateAfter: 0 }));
  const interpreted = interpretMachine(machine);
  const eventTypes = eventTypesOf(machine, compiled);
  const init = new Uint32Array(compiled.stateWords);
  compiled.initial(init);
  const init2 = new Uint32Array(interpreted.stateWords);
  interpreted.initial(init2);
  expect(key(init2)).toBe(key(init));
  fc.assert(
    fc.property(fc.array(fc.nat(), { minLength: 100, maxLength: 200, size: 'max' }), (choices) => {
      let cur = init;
      const path: string[] = [];
      for (const choice of choices) {
        const c = successorList(compiled, cur);
        const cFinal = compiled.isFinal();
        const i = successorList(interpreted, cur);
        const iFinal = interpreted.isFinal();
        const where = `after [${path.join(', ')}]`;
        expect(c, `successors ${where}`).toEqual(i);
        expect(cFinal, `isFinal ${where}`).toBe(iFinal);
        checkAgainstTransition(machine, compiled, eventTypes, cur, c, cFinal, false);
        if (c.length === 0) return;
        const [a, next] = c[choice % c.length]!;
        path.push(eventTypes[a]!);
        cur = Uint32Array.from(next);
      }
    }),
    { numRuns, endOnFailure: true, ...fcSeed() },
  );
}

describe('compiled vs XState: random walks over the KVM machine', () => {
  const configs = [
    { vcpus: 1, requesters: 1, runs: 2 },
    { vcpus: 2, requesters: 2, runs: 1 },
    { vcpus: 3, requesters: 2, runs: 1 },
  ];
  const variants = [
    ...Object.entries(WAIT_REQUEST_RULES).map(([rule, mask]) => ({ name: `rule ${rule}`, options: { waitRequestMask: mask } })),
    { name: "finalCheck 'before-mode-store'", options: { waitRequestMask: WAIT_REQUEST_RULES.kernel, finalCheck: 'before-mode-store' as const } },
  ];
  for (const variant of variants) {
    for (const { vcpus, requesters, runs } of configs) {
      it(`${variant.name}, ${vcpus} vCPU(s) x ${requesters} requester(s)`, { timeout: 120_000 }, () => {
        checkWalks(createKvmMachine({ vcpus, requesters, ...variant.options }), WALK_RUNS || runs);
      });
    }
  }
});

/**
 * The generated successor function (memoCode.ts) against the event-by-event memo lookups it
 * replaces, on the first 5,000 reachable states (breadth-first) of every spec variant's default configuration.
 */
describe('compiled: generated successor code vs event by event', () => {
  for (const spec of SPECS) {
    it(`${spec.name}: every variant`, () => {
      for (const variant of spec.variants) {
        const { machine } = variant.build(variant.defaults ?? spec.defaults);
        const generated = compileMachine(machine, { generateAfter: 0 });
        const eventByEvent = compileMachine(machine, { generateAfter: Number.POSITIVE_INFINITY });
        expect(firstDifference(generated, eventByEvent, 5_000), variant.name).toBeNull();
      }
    });
  }
});

/**
 * View predicates (what properties see): the compiled path tabulates them by the fields they read
 * (compile.ts `predicate`); they must give what the predicate gives on the decoded state.
 */
describe('compiled vs XState: view predicates', () => {
  type K = { mode: number[]; requests: number[]; model_ipi: number[][]; model_retired: boolean[][] };
  const predicates: [string, (s: StateView) => boolean][] = [
    ['guest with a request', ({ value, context }) => value['vcpu0'] === 'guest' && (context as K).requests[0] !== 0],
    ['branching reads', ({ value, context }) => ((context as K).mode[1] === 1 ? (context as K).model_ipi[0]![1]! >= 4 : value['requester0'] === 'done' || (context as K).model_retired[0]![0]!)],
    ['counts states', ({ value }) => Object.values(value).filter((x) => x === 'OUTSIDE_GUEST_MODE').length === 2],
    ['reads everything', ({ value, context }) => JSON.stringify([value, context]).length % 3 === 0],
    ['some IPI waited for', ({ context }) => (context as K).model_ipi.some((row) => row.includes(6))],
    [
      'no missed wait',
      ({ value, context }) =>
        [0, 1].every((v) => !((value[`vcpu${v}`] === 'guest' || value[`vcpu${v}`] === 'spte_read') && (context as K).model_retired[0]![v] && value['requester0'] === 'done')),
    ],
  ];

  it('KVM rfc-1-6, 2 vCPUs x 1 requester: compiled predicates agree with the predicates on every reachable state', () => {
    const machine = createKvmMachine({ vcpus: 2, requesters: 1, waitRequestMask: WAIT_REQUEST_RULES['rfc-1-6'] });
    // generateAfter 0: the generated conjunction test (memoCode.ts) serves from the first settled state
    const compiled = compileMachine(machine, { generateAfter: 0 });
    const bound = predicates.map(([name, fn]) => [name, fn, compiled.predicate(fn)] as const);
    const seen = new Map<string, Set<boolean>>();
    const wrong: string[] = [];
    for (const s of reachable(compiled).list) {
      compiled.load(s);
      const view: StateView = { value: compiled.layout.value(s), context: compiled.layout.readContext(s) };
      for (const [name, fn, p] of bound) {
        const expected = fn(view);
        if (p() !== expected) wrong.push(`${name} at ${JSON.stringify(view)}`);
        if (!seen.has(name)) seen.set(name, new Set());
        seen.get(name)!.add(expected);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    // none is constant on the reachable states (so the comparison means something)
    for (const [name] of predicates) expect(seen.get(name), name).toEqual(new Set([true, false]));
  });

  it('KVM kernel, 1 vCPU x 1 requester: the interpreted system binds predicates to the loaded state too', () => {
    const machine = createKvmMachine({ vcpus: 1, requesters: 1, waitRequestMask: WAIT_REQUEST_RULES.kernel });
    const compiled = compileMachine(machine);
    const interpreted = interpretMachine(machine);
    const fn = ({ value, context }: StateView): boolean =>
      (context as K).mode[0] === 1 ? (context as K).model_ipi[0]![0]! >= 4 : value['requester0'] === 'done' || (context as K).model_retired[0]![0]!;
    const pc = compiled.predicate(fn);
    const pi = interpreted.predicate(fn);
    const seen = new Set<boolean>();
    for (const s of reachable(compiled).list) {
      compiled.load(s);
      interpreted.load(s);
      expect(pc()).toBe(pi());
      seen.add(pi());
    }
    expect(seen).toEqual(new Set([true, false]));
  });
});

type Ctx = { n: number; flags: boolean[]; cnt: number[] };

const META = {
  kvmcheck: {
    groups: { th: ['p', 'q'] },
    vars: { n: { type: 'int', max: 3 }, flags: { type: 'bool', dims: ['th'] }, cnt: { type: 'int', max: 5, dims: ['th'] } },
  },
};
const CONTEXT: Ctx = { n: 0, flags: [false, false], cnt: [0, 0] };

/**
 * Guarded alternatives (first passing guard wins, then a targetless fallback), targetless
 * transitions with assigns, named guards with params and named actions via setup, several
 * assigns in one transition (each sees the previous one's result, mixing property and function
 * assigners), and final states in every thread.
 */
function featureMachine() {
  return setup({
    types: { context: {} as Ctx },
    guards: {
      below: ({ context }, params: { k: number }) => context.n < params.k,
      flagged: ({ context }, params: { i: number }) => context.flags[params.i]!,
      isThree: ({ context }) => context.n === 3,
    },
    actions: {
      inc: assign({ n: ({ context }) => Math.min(3, context.n + 1) }),
      countQ: assign({ cnt: ({ context }) => [context.cnt[0]!, (context.cnt[1]! + 1) % 6] }),
    },
  }).createMachine({
    id: 'features',
    type: 'parallel',
    context: CONTEXT,
    meta: META,
    states: {
      p: {
        initial: 'idle',
        states: {
          idle: {
            on: {
              'p.step': [
                { target: 'busy', guard: { type: 'below', params: { k: 2 } }, actions: 'inc' },
                { target: 'done', guard: 'isThree' },
                { actions: assign({ flags: ({ context }) => [true, context.flags[1]!] }) },
              ],
              'p.bump': { guard: { type: 'below', params: { k: 3 } }, actions: ['inc', assign({ cnt: ({ context }) => [context.n, context.cnt[1]!] })] },
            },
          },
          busy: {
            on: {
              'p.back': {
                target: 'idle',
                actions: [
                  assign({ cnt: ({ context }) => [(context.cnt[0]! + 2) % 6, context.cnt[1]!] }),
                  assign(({ context }) => ({ n: context.cnt[0]! % 4, flags: [context.cnt[0]! > 3, context.flags[1]!] })),
                  assign({ n: ({ context }) => (context.n === 0 ? 0 : context.n - 1) }),
                ],
              },
            },
          },
          done: { type: 'final' },
        },
      },
      q: {
        initial: 'a',
        states: {
          a: {
            on: {
              'q.reset': { guard: { type: 'flagged', params: { i: 0 } }, actions: [assign({ n: 0, flags: [false, true] }), 'countQ'] },
              'q.finish': [{ target: 'b', guard: ({ context }) => context.flags[1]! && context.cnt[1]! >= 2 }, { target: 'c', guard: 'isThree' }],
            },
          },
          b: { type: 'final' },
          c: { on: { 'q.again': { target: 'a', actions: 'countQ' } } },
        },
      },
      z: { initial: 'end', states: { end: { type: 'final' } } },
    },
  });
}

/** Two threads that end (final) or get stuck (not final). */
function finalsMachine(): AnyStateMachine {
  return createMachine({
    type: 'parallel',
    context: { n: 0 },
    meta: { kvmcheck: { vars: { n: { type: 'int', max: 2 } } } },
    states: {
      s: { initial: 'go', states: { go: { on: { 's.end': { target: 'end', actions: assign({ n: ({ context }) => context.n + 1 }) } } }, end: { type: 'final' } } },
      t: { initial: 'go', states: { go: { on: { 't.end': { target: 'end', actions: assign({ n: ({ context }) => context.n + 1 }) }, 't.stuck': { target: 'stuck' } } }, stuck: {}, end: { type: 'final' } } },
    },
  } as never);
}

/** A system that flips one bit of the successor of `action` in states where `when` holds. */
function corrupted(sys: MachineSystem, action: string, when: (s: Uint32Array) => boolean): MachineSystem {
  let current: Uint32Array = new Uint32Array(sys.stateWords);
  return {
    ...sys,
    load(state) {
      current = state;
      sys.load(state);
    },
    successors(emit) {
      sys.successors((a, next) => {
        if (sys.actions[a]!.name === action && when(current)) {
          const bad = next.slice();
          bad[bad.length - 1]! ^= 1 << 30;
          emit(a, bad);
        } else emit(a, next);
      });
    },
    isFinal: () => sys.isFinal(),
  };
}

describe('compiled vs XState: the comparisons detect a wrong successor', () => {
  it('random walks over KVM 1x1 catch a corrupted kvm_mmu_reload', () => {
    const m = createKvmMachine({ vcpus: 1, requesters: 1, waitRequestMask: WAIT_REQUEST_RULES.kernel });
    let err: unknown;
    try {
      checkWalks(m, 3, (sys) => corrupted(sys, 'kvm_mmu_reload', () => true));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    const messages = `${(err as Error).message} ${((err as Error).cause as Error | undefined)?.message}`;
    expect(messages).toMatch(/successors after \[/);
  });

  it('firstDifference catches a successor corrupted in one reachable state only', () => {
    const compiled = compileMachine(finalsMachine());
    const { list } = reachable(compiled);
    const target = list.filter((s) => successorList(compiled, s).length > 0).at(-1)!;
    const [a] = successorList(compiled, target).at(-1)!;
    const at = (s: Uint32Array) => key(s) === key(target);
    expect(firstDifference(corrupted(compiled, 'no such action', at), interpretMachine(finalsMachine()))).toBeNull();
    expect(firstDifference(corrupted(compiled, compiled.actions[a]!.name, at), interpretMachine(finalsMachine()))).toContain(`at state ${key(target)}: successors differ`);
  });
});

describe('compiled vs XState: tiny hand-built machines, every reachable state, every event', () => {
  it('guarded alternatives, targetless transitions, named guards with params, several assigns, final states', () => {
    const r = checkExhaustively(featureMachine);
    // the machine exercises what it claims to
    expect(r.actionsTaken).toEqual(new Set(['p.step', 'p.bump', 'p.back', 'q.reset', 'q.finish', 'q.again']));
    expect(r.finals).toBeGreaterThan(0);
    expect(r.states).toBeGreaterThan(30);
  });

  it('the guarded alternative chosen is the first that passes, in XState order', () => {
    const compiled = compileMachine(featureMachine());
    const { list } = reachable(compiled);
    const outcomes = new Set<string>();
    for (const s of list) {
      const from = compiled.layout.value(s)['p'];
      if (from !== 'idle') continue;
      for (const [a, next] of successorList(compiled, s)) {
        if (compiled.actions[a]!.name !== 'step') continue;
        outcomes.add(compiled.layout.value(Uint32Array.from(next))['p']!);
      }
    }
    expect(outcomes).toEqual(new Set(['busy', 'done', 'idle']));
  });

  it('final states: isFinal only when every thread is in a final state; no successors there', () => {
    const m = finalsMachine();
    const r = checkExhaustively(() => m);
    expect(r.finals).toBe(1);
    const compiled = compileMachine(m);
    const { list } = reachable(compiled);
    const terminal: [Record<string, string>, boolean][] = [];
    for (const s of list) if (successorList(compiled, s).length === 0) terminal.push([compiled.layout.value(s), compiled.isFinal()]);
    expect(terminal).toEqual(
      expect.arrayContaining([
        [{ s: 'end', t: 'end' }, true],
        [{ s: 'end', t: 'stuck' }, false],
      ]),
    );
  });

  it('a thread that starts in its final state, and an event no state accepts in the current configuration', () => {
    const m = createMachine({
      type: 'parallel',
      context: { n: 0 },
      meta: { kvmcheck: { vars: { n: { type: 'int', max: 3 } } } },
      states: {
        a: { initial: 'x', states: { x: { on: { 'a.go': { target: 'y', actions: assign({ n: 1 }) } } }, y: { on: { 'a.late': { target: 'x', guard: ({ context }: { context: { n: number } }) => context.n === 2 } } } } },
        b: { initial: 'w', states: { w: { on: { 'b.go': { target: 'v', guard: ({ context }: { context: { n: number } }) => context.n === 1, actions: assign({ n: 2 }) } } }, v: { type: 'final' } } },
        c: { initial: 'done', states: { done: { type: 'final' } } },
      },
    } as never);
    const r = checkExhaustively(() => m);
    expect(r.actionsTaken).toEqual(new Set(['a.go', 'b.go', 'a.late']));
  });
});

/**
 * Regression (checker/xstate/compile.ts vs interpret.ts): a transition that is taken but changes nothing
 * — targetless or targeting its own source, without actions — is a self-loop in the compiled path
 * and no step at all in the interpreted path (XState's `transition()` returns the very same
 * snapshot, which interpret.ts reads as "not enabled"; `snapshot.can()` agrees for the targetless
 * one). The paths then disagree on deadlocks and fairness: a state whose only step is such a
 * transition is a deadlock for one and not for the other. Expected: the same successors (or a
 * ConventionError refusing such transitions).
 */
describe('compiled vs XState: known disagreements', () => {
  const meta = { kvmcheck: { vars: { n: { type: 'int', max: 1 } } } };
  it.each([
    ['targetless, no actions', { 't.spin': {} }],
    ['targeting its own source, no actions', { 't.spin': { target: 'a' } }],
    ['guarded targetless, no actions', { 't.spin': { guard: ({ context }: { context: { n: number } }) => context.n === 0 } }],
  ])('a transition that changes nothing (%s): compiled and interpreted must agree', (_label, on) => {
    const build = () => createMachine({ type: 'parallel', context: { n: 0 }, meta, states: { t: { initial: 'a', states: { a: { on } } } } } as never);
    let compiled: MachineSystem;
    try {
      compiled = compileMachine(build());
    } catch (e) {
      expect(e).toHaveProperty('name', 'ConventionError');
      return;
    }
    expect(firstDifference(compiled, interpretMachine(build()))).toBeNull();
  });

  /**
   * Regression (checker/xstate/readTracking.ts, trackedRow): the compiled path's context arrays are
   * proxies that decode any numeric index, so reading past the end of a row (`xs[2]` of a
   * 2-element row) returns a neighbouring bit field instead of `undefined`, and a guard such as
   * `xs[i + 1] === undefined` or `xs[i + 1] ?? 0` behaves differently from XState.
   */
  it('reading past the end of a context array must give undefined, as in XState', () => {
    const build = () =>
      createMachine({
        type: 'parallel',
        context: { xs: [0, 0], m: [[1], [1]], y: 3 },
        meta: { kvmcheck: { groups: { g: ['t', 'u'], one: ['o'] }, vars: { xs: { type: 'int', max: 3, dims: ['g'] }, m: { type: 'int', max: 1, dims: ['g', 'one'] }, y: { type: 'int', max: 3 } } } },
        states: {
          t: { initial: 'a', states: { a: { on: { 't.end': { target: 'b', guard: ({ context }: { context: { xs: number[] } }) => context.xs[2] === undefined } } }, b: {} } },
          u: { initial: 'a', states: { a: { on: { 'u.end': { target: 'b', guard: ({ context }: { context: { m: number[][] } }) => context.m[0]![1] === undefined } } }, b: {} } },
        },
      } as never);
    expect(firstDifference(compileMachine(build()), interpretMachine(build()))).toBeNull();
  });
});
