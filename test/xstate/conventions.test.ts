/**
 * The checker's conventions (checker/xstate/conventions.ts): every violation is refused with a
 * ConventionError whose message names the place (thread, state, event, variable).
 */
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, and, assign, createMachine, fromPromise, log, raise, setup } from 'xstate';
import { compileMachine, ConventionError, interpretMachine, symmetryCanonicalizer } from '../../checker/xstate/index.ts';
import { firstDifference, successorList } from './helpers.ts';

type Config = Record<string, unknown>;

const META = { kvmcheck: { groups: { th: ['t', 'u'] }, vars: { n: { type: 'int', max: 3 } } } };

/** A well-formed two-thread machine; `edit` mutates a fresh copy of its config. */
function machine(edit: (c: { root: Config; t: Config; u: Config; a: Config; b: Config; x: Config }) => void = () => {}): AnyStateMachine {
  const a: Config = { on: { 't.go': { target: 'b', actions: assign({ n: 1 }) } } };
  const b: Config = { type: 'final' };
  const x: Config = { on: { 'u.go': { target: 'y', guard: ({ context }: { context: { n: number } }) => context.n === 1 } } };
  const t: Config = { initial: 'a', states: { a, b } };
  const u: Config = { initial: 'x', states: { x, y: { type: 'final' } } };
  const root: Config = { id: 'm', type: 'parallel', context: { n: 0 }, meta: META, states: { t, u } };
  edit({ root, t, u, a, b, x });
  return createMachine(root as never);
}

/** Both paths must refuse `m` with a ConventionError whose message contains every `place`. */
function expectRefused(build: () => unknown, ...places: string[]): void {
  for (const make of [compileMachine, interpretMachine]) {
    let err: unknown;
    try {
      const sys = make(build() as AnyStateMachine);
      // errors found while stepping (e.g. an assign to an undeclared variable) count too
      const init = new Uint32Array(sys.stateWords);
      sys.initial(init);
      successorList(sys, init);
    } catch (e) {
      err = e;
    }
    expect(err, `${make.name} accepted the machine`).toBeInstanceOf(ConventionError);
    for (const p of places) expect((err as Error).message, make.name).toContain(p);
  }
}

describe('conventions: the well-formed base machine is accepted', () => {
  it('compiles and steps (so the refusals below are about the one edit each makes)', () => {
    for (const make of [compileMachine, interpretMachine]) {
      const sys = make(machine());
      const init = new Uint32Array(sys.stateWords);
      sys.initial(init);
      expect(successorList(sys, init).map(([a]) => sys.actions[a]!.name)).toEqual(['go']);
      expect(sys.threads).toEqual(['t', 'u']);
    }
  });
});

describe('conventions: each violation is a ConventionError naming the place', () => {
  it('non-parallel root', () => {
    expectRefused(
      () =>
        machine(({ root }) => {
          delete root['type'];
          root['initial'] = 't';
        }),
      'root',
      'parallel',
    );
  });

  it('nested states (a compound state inside a thread)', () => {
    expectRefused(
      () =>
        machine(({ t }) => {
          (t['states'] as Config)['b'] = { initial: 'c', states: { c: {} } };
        }),
      't.b',
    );
  });

  it('nested states (a parallel state inside a thread)', () => {
    expectRefused(
      () =>
        machine(({ u }) => {
          (u['states'] as Config)['y'] = { type: 'parallel', states: { p: {}, q: {} } };
        }),
      'u.y',
    );
  });

  it('entry actions', () => {
    expectRefused(() => machine(({ x }) => (x['entry'] = assign({ n: 2 }))), 'u.x', 'entry');
  });

  it('exit actions', () => {
    expectRefused(() => machine(({ a }) => (a['exit'] = assign({ n: 2 }))), 't.a', 'exit');
  });

  it('`always` transitions', () => {
    expectRefused(() => machine(({ a }) => (a['always'] = { target: 'b', guard: () => false })), 't.a', 'always');
  });

  it('`after` transitions', () => {
    // XState implements `after` with entry/exit actions, so either message is right
    expectRefused(() => machine(({ x }) => (x['after'] = { 1000: { target: 'y' } })), 'u.x');
  });

  it('`invoke`', () => {
    expectRefused(() => machine(({ a }) => (a['invoke'] = { src: fromPromise(async () => 1) })), 't.a', 'invoke');
  });

  it('an event handled by two threads', () => {
    expectRefused(
      () =>
        machine(({ x }) => {
          (x['on'] as Config)['t.go'] = { target: 'y' };
        }),
      "'t.go'",
      "'t'",
      "'u'",
    );
  });

  it.each([
    ['an inline function', () => {}],
    ['raise()', raise({ type: 'u.go' })],
    ['log()', log('hi')],
    ['a list with one non-assign', [assign({ n: 2 }), () => {}]],
  ])('a non-assign action: %s', (_label, action) => {
    expectRefused(
      () =>
        machine(({ a }) => {
          (a['on'] as Config)['t.go'] = { target: 'b', actions: action };
        }),
      't.a',
      "'t.go'",
    );
  });

  it('a named action that is not an assign (via setup)', () => {
    const m = () =>
      setup({ actions: { shout: () => {} } }).createMachine({
        type: 'parallel',
        context: { n: 0 },
        meta: META,
        states: { t: { initial: 'a', states: { a: { on: { 't.go': { target: 'b', actions: 'shout' } } }, b: {} } } },
      } as never);
    expectRefused(m, 't.a', "'t.go'", 'shout');
  });

  it('missing meta', () => {
    expectRefused(() => machine(({ root }) => delete root['meta']), 'meta.kvmcheck.vars');
  });

  it('meta without vars', () => {
    expectRefused(() => machine(({ root }) => (root['meta'] = { kvmcheck: { groups: {} } })), 'meta.kvmcheck.vars');
  });

  it('transitions on a region instead of its states', () => {
    expectRefused(() => machine(({ u }) => (u['on'] = { 'u.stop': { target: '.y' } })), "thread 'u'");
  });

  it('a target in another thread', () => {
    expectRefused(
      () =>
        machine(({ a }) => {
          (a['on'] as Config)['t.go'] = { target: '#m.u.y' };
        }),
      't.a',
      "'t.go'",
    );
  });

  it('a higher-order guard (and/or/not)', () => {
    expectRefused(
      () =>
        machine(({ a }) => {
          (a['on'] as Config)['t.go'] = { target: 'b', guard: and([() => true, () => true]) };
        }),
      't.a',
      "'t.go'",
    );
  });

  it('a named guard with no implementation', () => {
    expectRefused(
      () =>
        machine(({ a }) => {
          (a['on'] as Config)['t.go'] = { target: 'b', guard: 'missing' };
        }),
      't.a',
      'missing',
    );
  });

  it('dynamic guard params', () => {
    const m = () =>
      setup({ guards: { lt: (_: unknown, p: { k: number }) => p.k > 0 } }).createMachine({
        type: 'parallel',
        context: { n: 0 },
        meta: META,
        states: { t: { initial: 'a', states: { a: { on: { 't.go': { target: 'b', guard: { type: 'lt', params: () => ({ k: 1 }) } } } }, b: {} } } },
      } as never);
    expectRefused(m, 't.a', "'t.go'", 'params');
  });

  it('an assign writing an undeclared variable', () => {
    expectRefused(
      () =>
        machine(({ a }) => {
          (a['on'] as Config)['t.go'] = { target: 'b', actions: assign({ m: 1 } as never) };
        }),
      'context.m',
    );
  });

  it('an assign writing a value outside the domain', () => {
    expectRefused(
      () =>
        machine(({ a }) => {
          (a['on'] as Config)['t.go'] = { target: 'b', actions: assign({ n: 4 }) };
        }),
      'context.n',
    );
  });

  it('an initial context with an undeclared key', () => {
    expectRefused(() => machine(({ root }) => (root['context'] = { n: 0, extra: [] })), 'context.extra');
  });

  it('a symmetric group that is not declared', () => {
    const m = machine(({ root }) => (root['meta'] = { kvmcheck: { ...META.kvmcheck, symmetric: ['ghosts'] } }));
    let err: unknown;
    try {
      symmetryCanonicalizer(compileMachine(m).layout);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConventionError);
    expect((err as Error).message).toContain("'ghosts'");
  });

  it('a symmetric group whose members have differently sized data (one thread has more states)', () => {
    const m = machine(({ root, t }) => {
      root['meta'] = { kvmcheck: { ...META.kvmcheck, symmetric: ['th'] } };
      (t['states'] as Config)['c'] = {};
    });
    expect(() => symmetryCanonicalizer(compileMachine(m).layout)).toThrow(ConventionError);
    expect(() => symmetryCanonicalizer(compileMachine(m).layout)).toThrow(/'th'.*same widths/);
  });
});

/**
 * Regression (checker/xstate/machineSteps.ts, readMachineSteps): these machines break the conventions
 * but are accepted, and the compiled path then disagrees with XState (checked here with the
 * interpreted path, which is XState's own `transition()`):
 * - `on` on the root: XState takes the root's transition when the state's guards all fail; the
 *   compiled path never does.
 * - `always` on the root or on a region: XState runs it after every step; the compiled path never.
 * - wildcard descriptors (`*`, `t.*`) in a thread: XState lets one event move two threads.
 * Only the atomic states and `region.on` are checked; `root.on`, `root.always`,
 * `region.always` and wildcard descriptors are not. Expected: a ConventionError.
 */
/** Refused with a ConventionError naming `places`, or else the compiled path agrees with XState. */
function expectRefusedOrFaithful(build: () => unknown, ...places: string[]): void {
  let compiled: ReturnType<typeof compileMachine>;
  try {
    compiled = compileMachine(build() as AnyStateMachine);
  } catch {
    expectRefused(build, ...places);
    return;
  }
  let difference: string | null;
  try {
    difference = firstDifference(compiled, interpretMachine(build() as AnyStateMachine));
  } catch (e) {
    difference = `XState (the interpreted path) throws: ${(e as Error).message}`;
  }
  expect(difference, 'accepted, and the compiled path disagrees with XState').toBeNull();
}

describe('conventions: gaps (gaps once accepted, where the compiled path disagreed with XState)', () => {
  it('`on` on the root must be refused (or compiled faithfully)', () => {
    expectRefusedOrFaithful(
      () =>
        machine(({ root, a }) => {
          root['on'] = { 't.go': { actions: assign({ n: 3 }) } };
          (a['on'] as Config)['t.go'] = { target: 'b', guard: () => false };
        }),
      'root',
    );
  });

  it('`always` on the root must be refused (or compiled faithfully)', () => {
    expectRefusedOrFaithful(
      () =>
        machine(({ root }) => {
          root['always'] = { guard: ({ context }: { context: { n: number } }) => context.n === 1, actions: assign({ n: 2 }) };
        }),
      'always',
    );
  });

  it('`always` on a region must be refused (or compiled faithfully)', () => {
    expectRefusedOrFaithful(
      () =>
        machine(({ t }) => {
          t['always'] = { guard: ({ context }: { context: { n: number } }) => context.n === 1, actions: assign({ n: 2 }) };
        }),
      "'t'",
      'always',
    );
  });

  it.each([['*'], ['t.*']])('a wildcard event descriptor %j in another thread must be refused (or compiled faithfully)', (descriptor) => {
    expectRefusedOrFaithful(
      () =>
        machine(({ x }) => {
          (x['on'] as Config)[descriptor] = { target: 'y' };
        }),
      'u.x',
      descriptor,
    );
  });
});
