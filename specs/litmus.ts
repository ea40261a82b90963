/**
 * Litmus tests of the memory models (checker/memory/): tiny machines built to the checker's
 * conventions, with the same access declarations as the KVM model, whose outcomes are published.
 * A variant "holds" when its outcome is unreachable (forbidden) and is "violated" (property
 * `<name>-outcome`) when exploration reaches it (allowed).
 *
 * Published x86-TSO outcomes (Intel SDM vol. 3 §8.2.3; Owens, Sarkar, Sewell, "A better x86
 * memory model: x86-TSO", TPHOLs 2009): SB allowed (§8.2.3.4, loads may pass earlier stores to
 * other locations), SB with MFENCE or locked instructions forbidden (§8.2.3.9), MP forbidden
 * (§8.2.3.2), LB forbidden (§8.2.3.3), IRIW forbidden (§8.2.3.7, stores are seen in one order).
 * Under sequential consistency every one of these outcomes is forbidden. The `arm64-like` model
 * (TSO store buffers; set_bit and a failed cmpxchg order nothing) runs only the tests whose
 * outcome the LKMM publishes for what that model changes (tools/memory-model,
 * Documentation/atomic_bitops.txt: set_bit() and friends are unordered; xchg() is fully ordered);
 * it is not a model of ARMv8 as a whole (it forbids MP and LB, which ARMv8 allows).
 */
import { type AnyStateMachine, setup } from 'xstate';
import { always, type StateView } from '../checker/xstate/index.ts';
import { type RegionConfig, to } from '../models/transition.ts';
import type { Expected, Spec, Variant } from './Spec.ts';

/** One instruction of a litmus thread (x86 / LKMM spelling in the step names). */
type Instr =
  | { readonly op: 'store'; readonly loc: string; readonly value: number }
  | { readonly op: 'load'; readonly loc: string; readonly reg: string }
  /** xchg(): a locked RMW on x86 */
  | { readonly op: 'xchg'; readonly loc: string; readonly value: number }
  /** set_bit(0, &loc) */
  | { readonly op: 'set_bit'; readonly loc: string }
  | { readonly op: 'smp_mb' };

type LitmusContext = Record<string, number>;

const store = (loc: string, value = 1): Instr => ({ op: 'store', loc, value });
const load = (reg: string, loc: string): Instr => ({ op: 'load', loc, reg });
const xchg = (loc: string, value = 1): Instr => ({ op: 'xchg', loc, value });
const setBit = (loc: string): Instr => ({ op: 'set_bit', loc });
const mb: Instr = { op: 'smp_mb' };

function stepName(i: Instr): string {
  switch (i.op) {
    case 'store':
      return `WRITE_ONCE(${i.loc},${i.value})`;
    case 'load':
      return `${i.reg}=READ_ONCE(${i.loc})`;
    case 'xchg':
      return `xchg(${i.loc},${i.value})`;
    case 'set_bit':
      return `set_bit(0,${i.loc})`;
    case 'smp_mb':
      return 'smp_mb()';
  }
}

/** Thread `name` runs `program` once, one step per instruction, and ends in `done`. */
function threadRegion(name: string, program: readonly Instr[]): RegionConfig {
  const pc = (k: number): string => (k === program.length ? 'done' : `i${k}`);
  const states: RegionConfig['states'] = { done: { type: 'final' } };
  program.forEach((instr, k) => {
    const ev = `${name}.${stepName(instr)}`;
    const step = (() => {
      switch (instr.op) {
        case 'store':
          return to<LitmusContext>(pc(k + 1), { update: () => ({ [instr.loc]: instr.value }), access: 'store' });
        case 'xchg':
          return to<LitmusContext>(pc(k + 1), { update: () => ({ [instr.loc]: instr.value }), access: 'rmw' });
        case 'set_bit':
          return to<LitmusContext>(pc(k + 1), { update: ({ context }) => ({ [instr.loc]: context[instr.loc]! | 1 }), access: 'set_bit', bits: 1 });
        case 'load':
          return to<LitmusContext>(pc(k + 1), { update: ({ context }) => ({ [instr.reg]: context[instr.loc]! }) });
        case 'smp_mb':
          return to<LitmusContext>(pc(k + 1), { access: 'fence' });
      }
    })();
    states[pc(k)] = { on: { [ev]: step } };
  });
  return { initial: pc(0), states };
}

export interface Litmus {
  readonly name: string;
  readonly description: string;
  readonly threads: readonly (readonly Instr[])[];
  /** The outcome asked about, over the final registers. */
  readonly outcome: (r: LitmusContext) => boolean;
  readonly outcomeText: string;
  /** Whether x86-TSO allows the outcome (SC forbids every outcome here). */
  readonly tsoAllows: boolean;
  /** Whether the LKMM allows it, for the tests the arm64-like model runs. */
  readonly lkmmAllows?: boolean;
}

const locations = (t: Litmus): string[] => [...new Set(t.threads.flat().flatMap((i) => (i.op === 'smp_mb' ? [] : [i.loc])))];
const registers = (t: Litmus): string[] => t.threads.flat().flatMap((i) => (i.op === 'load' ? [i.reg] : []));
const threadName = (p: number): string => `P${p}`;

/** The litmus test as a checked machine: locations are shared (0..1), registers are per-thread (SC). */
export function litmusMachine(t: Litmus): AnyStateMachine {
  const vars = [...locations(t), ...registers(t)];
  return setup({ types: { context: {} as LitmusContext } }).createMachine({
    id: t.name,
    type: 'parallel',
    context: Object.fromEntries(vars.map((v) => [v, 0])),
    meta: {
      kvmcheck: {
        vars: Object.fromEntries(vars.map((v) => [v, { type: 'int', max: 1 }])),
        shared: locations(t),
      },
    },
    states: Object.fromEntries(t.threads.map((program, p) => [threadName(p), threadRegion(threadName(p), program)])) as never,
  }) as unknown as AnyStateMachine;
}

function litmusVariant(t: Litmus): Variant {
  const property = `${t.name}-outcome`;
  const reached: Expected = { verdict: 'violated', property };
  const forbidden: Expected = { verdict: 'holds' };
  const done = ({ value }: StateView): boolean => t.threads.every((_, p) => value[threadName(p)] === 'done');
  return {
    name: t.name,
    description: `${t.description}; outcome ${t.outcomeText} (x86-TSO: ${t.tsoAllows ? 'allowed' : 'forbidden'}, SC: forbidden)`,
    expected: forbidden,
    expectedUnder: { tso: t.tsoAllows ? reached : forbidden, ...(t.lkmmAllows === undefined ? {} : { 'arm64-like': t.lkmmAllows ? reached : forbidden }) },
    memoryModels: t.lkmmAllows === undefined ? ['sc', 'tso'] : ['sc', 'tso', 'arm64-like'],
    build: () => ({
      machine: litmusMachine(t),
      properties: [always(property, (s) => !(done(s) && t.outcome(s.context as LitmusContext)))],
    }),
  };
}

/** The litmus tests, with the outcome x86-TSO is published to allow or forbid. */
export const LITMUS: readonly Litmus[] = [
  {
    name: 'SB',
    description: 'store buffering: P0 x=1; r0=y || P1 y=1; r1=x',
    threads: [
      [store('x'), load('r0', 'y')],
      [store('y'), load('r1', 'x')],
    ],
    outcome: (r) => r.r0 === 0 && r.r1 === 0,
    outcomeText: 'r0=0 r1=0',
    tsoAllows: true,
    lkmmAllows: true,
  },
  {
    name: 'SB+mb+po',
    description: 'SB with smp_mb() on P0 only',
    threads: [
      [store('x'), mb, load('r0', 'y')],
      [store('y'), load('r1', 'x')],
    ],
    outcome: (r) => r.r0 === 0 && r.r1 === 0,
    outcomeText: 'r0=0 r1=0',
    tsoAllows: true,
  },
  {
    name: 'SB+mbs',
    description: 'SB with smp_mb() between store and load on both sides (the pattern of vcpu-requests.rst)',
    threads: [
      [store('x'), mb, load('r0', 'y')],
      [store('y'), mb, load('r1', 'x')],
    ],
    outcome: (r) => r.r0 === 0 && r.r1 === 0,
    outcomeText: 'r0=0 r1=0',
    tsoAllows: false,
    lkmmAllows: false,
  },
  {
    name: 'SB+xchgs',
    description: 'SB with the stores as xchg() (locked RMWs, as set_bit/cmpxchg on x86)',
    threads: [
      [xchg('x'), load('r0', 'y')],
      [xchg('y'), load('r1', 'x')],
    ],
    outcome: (r) => r.r0 === 0 && r.r1 === 0,
    outcomeText: 'r0=0 r1=0',
    tsoAllows: false,
    lkmmAllows: false,
  },
  {
    name: 'SB+set_bits',
    description: 'SB with the stores as set_bit() (the request bit of kvm_make_request())',
    threads: [
      [setBit('x'), load('r0', 'y')],
      [setBit('y'), load('r1', 'x')],
    ],
    outcome: (r) => r.r0 === 0 && r.r1 === 0,
    outcomeText: 'r0=0 r1=0',
    tsoAllows: false,
    lkmmAllows: true,
  },
  {
    name: 'MP',
    description: 'message passing: P0 x=1; y=1 || P1 r0=y; r1=x (no barriers)',
    threads: [
      [store('x'), store('y')],
      [load('r0', 'y'), load('r1', 'x')],
    ],
    outcome: (r) => r.r0 === 1 && r.r1 === 0,
    outcomeText: 'r0=1 r1=0',
    tsoAllows: false,
  },
  {
    name: 'LB',
    description: 'load buffering: P0 r0=x; y=1 || P1 r1=y; x=1 (allowed by the LKMM and arm64 without dependencies)',
    threads: [
      [load('r0', 'x'), store('y')],
      [load('r1', 'y'), store('x')],
    ],
    outcome: (r) => r.r0 === 1 && r.r1 === 1,
    outcomeText: 'r0=1 r1=1',
    tsoAllows: false,
  },
  {
    name: 'IRIW',
    description: 'independent reads of independent writes: P0 x=1 || P1 y=1 || P2 r0=x; r1=y || P3 r2=y; r3=x',
    threads: [[store('x')], [store('y')], [load('r0', 'x'), load('r1', 'y')], [load('r2', 'y'), load('r3', 'x')]],
    outcome: (r) => r.r0 === 1 && r.r1 === 0 && r.r2 === 1 && r.r3 === 0,
    outcomeText: 'r0=1 r1=0 r2=1 r3=0',
    tsoAllows: false,
  },
];

export const litmus: Spec = {
  name: 'litmus',
  seed: 'none: litmus tests of the memory models (x86-TSO outcomes, Intel SDM vol. 3 §8.2.3)',
  description: 'checks the memory models themselves: which outcome of each litmus test each model reaches',
  defaults: { vcpus: 0, requesters: 0 },
  variants: LITMUS.map(litmusVariant),
};
