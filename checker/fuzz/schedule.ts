/**
 * Random schedules as sequences of bursts, and their execution.
 *
 * A burst runs one thread for up to `steps` steps. Its `thread` indexes the system's threads; when
 * that thread has nothing enabled the burst goes to the next thread (cyclically) that has. At each
 * step of the burst the thread takes one of its enabled actions: `pick` and the step number choose
 * an action kind (kinds.ts) among the enabled ones, then one of its targets. Bursts, rather than
 * one independent choice per step, let one thread run a long protocol (a requester visiting 64
 * vCPUs) while another sits still, which an independent uniform choice at 66 threads almost never
 * does; shrinking then drops bursts, shortens them and moves them to low thread indices, so a
 * counterexample involves few threads and few steps.
 */
import fc from 'fast-check';
import type { ActionKinds } from './kinds.ts';
import type { StepSystem } from './StepSystem.ts';

export interface Burst {
  readonly thread: number;
  readonly steps: number;
  readonly pick: number;
}

/** A safety property evaluated on the loaded state. */
export interface SafetyCheck {
  readonly name: string;
  readonly holds: () => boolean;
}

/** The name a deadlock is reported under (as the engine does). */
export const DEADLOCK = 'deadlock';

export interface RunOutcome {
  /** The violated property (or DEADLOCK), else null. */
  readonly violation: string | null;
  /** The actions taken, up to and including the violating one. */
  readonly actions: readonly number[];
}

/** Called with the initial state (action -1) and after every step, with the state reached. */
export type StepObserver = (state: Uint32Array, action: number) => void;

/** Burst lengths are log-uniform in 1..maxBurst, in steps of 2^(1/LENGTH_RESOLUTION). */
const LENGTH_RESOLUTION = 8;

/** The shape of random schedules. */
export interface ScheduleShape {
  readonly threads: number;
  /** Steps per burst at most. */
  readonly maxBurst: number;
  /** Bursts per schedule at most. */
  readonly maxBursts: number;
}

/**
 * Schedules of 1..maxBursts bursts (uniformly many). Threads and picks are uniform (fast-check's
 * bias towards small numbers would keep most bursts on the first threads); burst lengths are
 * log-uniform, so short interleavings and long runs of one thread are both common.
 */
export function scheduleArbitrary(shape: ScheduleShape): fc.Arbitrary<Burst[]> {
  const maxLog = Math.ceil(LENGTH_RESOLUTION * Math.log2(shape.maxBurst));
  const steps = fc.noBias(fc.integer({ min: 0, max: maxLog })).map((x) => Math.min(shape.maxBurst, Math.floor(2 ** (x / LENGTH_RESOLUTION))));
  const burst = fc.record({ thread: fc.noBias(fc.nat({ max: shape.threads - 1 })), steps, pick: fc.noBias(fc.nat()) });
  return fc.array(burst, { minLength: 1, maxLength: shape.maxBursts, size: 'max' });
}

/** A 32-bit mix of (pick, step) (murmur3's finalizer): the choice at one step of a burst. */
function mix(pick: number, step: number): number {
  let h = Math.imul(pick ^ Math.imul(step + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface RunnerOptions {
  /** Steps per run at most. */
  readonly maxSteps: number;
  /** A state where no thread can step and that is not final is a violation (default true). */
  readonly checkDeadlock?: boolean;
}

/** Executes schedules on a system, checking the safety properties on every state reached. */
export class ScheduleRunner {
  private readonly enabled: number[] = [];
  private readonly kindsSeen: number[] = [];
  private readonly kindStamp: Int32Array;
  private stamp = 0;
  private cur: Uint32Array;
  private nxt: Uint32Array;

  constructor(
    private readonly system: StepSystem,
    private readonly properties: readonly SafetyCheck[],
    private readonly kinds: ActionKinds,
    private readonly options: RunnerOptions,
  ) {
    this.kindStamp = new Int32Array(kinds.kinds.length);
    this.cur = new Uint32Array(system.stateWords);
    this.nxt = new Uint32Array(system.stateWords);
  }

  run(schedule: readonly Burst[], observe: StepObserver | null = null): RunOutcome {
    const sys = this.system;
    const actions: number[] = [];
    sys.initial(this.cur);
    sys.load(this.cur);
    observe?.(this.cur, -1);
    let violation = this.violated();
    for (let b = 0; b < schedule.length && violation === null && actions.length < this.options.maxSteps; b++) {
      const burst = schedule[b]!;
      const thread = this.firstEnabled(burst.thread);
      if (thread < 0) {
        if ((this.options.checkDeadlock ?? true) && !sys.isFinal()) violation = DEADLOCK;
        break;
      }
      for (let i = 0; i < burst.steps && violation === null && actions.length < this.options.maxSteps; i++) {
        if (i > 0) {
          this.enabled.length = 0;
          sys.enabledOf(thread, this.enabled);
          if (this.enabled.length === 0) break;
        }
        const action = this.choose(mix(burst.pick, i));
        sys.apply(action, this.nxt);
        [this.cur, this.nxt] = [this.nxt, this.cur];
        sys.load(this.cur);
        actions.push(action);
        observe?.(this.cur, action);
        violation = this.violated();
      }
    }
    return { violation, actions };
  }

  private violated(): string | null {
    for (const p of this.properties) if (!p.holds()) return p.name;
    return null;
  }

  /** The first thread from `from` on (cyclically) with an enabled action, its actions in `enabled`; -1 if none. */
  private firstEnabled(from: number): number {
    const n = this.system.threads.length;
    for (let k = 0; k < n; k++) {
      const t = (from + k) % n;
      this.enabled.length = 0;
      this.system.enabledOf(t, this.enabled);
      if (this.enabled.length > 0) return t;
    }
    return -1;
  }

  /** One of `enabled`: a kind chosen by `x` among the enabled kinds, then one of its actions. */
  private choose(x: number): number {
    const { kindOf } = this.kinds;
    const seen = this.kindsSeen;
    seen.length = 0;
    if (++this.stamp === 0x7fffffff) {
      this.kindStamp.fill(0);
      this.stamp = 1;
    }
    for (const a of this.enabled) {
      const k = kindOf[a]!;
      if (this.kindStamp[k] !== this.stamp) {
        this.kindStamp[k] = this.stamp;
        seen.push(k);
      }
    }
    const kind = seen[x % seen.length]!;
    let members = 0;
    for (const a of this.enabled) if (kindOf[a] === kind) members++;
    let nth = (x >>> 8) % members;
    for (const a of this.enabled) if (kindOf[a] === kind && nth-- === 0) return a;
    throw new Error('kvmcheck fuzz: no enabled action of the chosen kind');
  }
}
