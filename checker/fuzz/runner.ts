/**
 * Executes random schedules (schedule.ts) on a StepSystem and checks safety properties on every
 * state reached. A burst's thread is taken from the swarm; when it has nothing enabled, the next
 * swarm thread that has takes the burst, and when no swarm thread can step, the next thread of the
 * whole system (so a swarm waiting for an outsider does not stall the run). Within a burst, `pick`
 * and the step number choose an action kind (kinds.ts) among the thread's enabled actions, then
 * one action of that kind: a requester at `start` picks "make a request of some vCPU" or "replace
 * the resource" with equal chances, however many vCPUs there are.
 */
import { type ActionKinds, threadKinds } from './kinds.ts';
import { mix, type Schedule, swarmOf } from './schedule.ts';
import type { StepSystem } from './StepSystem.ts';

/** A safety property evaluated on the loaded state (`state`: its words). */
export interface SafetyCheck {
  readonly name: string;
  readonly holds: (state: Uint32Array) => boolean;
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

export interface RunnerOptions {
  /** Steps per run at most. */
  readonly maxSteps: number;
  /** A state where no thread can step and that is not final is a violation (default true). */
  readonly checkDeadlock?: boolean;
}

export class ScheduleRunner {
  private readonly enabled: number[] = [];
  private readonly kindsSeen: number[] = [];
  private readonly kindStamp: Int32Array;
  private readonly kindOfThread: Int32Array;
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
    this.kindOfThread = threadKinds(system.threads).kindOf;
    this.cur = new Uint32Array(system.stateWords);
    this.nxt = new Uint32Array(system.stateWords);
  }

  /** Runs `schedule` for at most `maxSteps` steps (default: the runner's). */
  run(schedule: Schedule, observe: StepObserver | null = null, maxSteps = this.options.maxSteps): RunOutcome {
    const sys = this.system;
    const swarm = swarmOf(schedule, this.kindOfThread);
    const actions: number[] = [];
    sys.initial(this.cur);
    sys.load(this.cur);
    observe?.(this.cur, -1);
    let violation = this.violated();
    for (let b = 0; b < schedule.bursts.length && violation === null && actions.length < maxSteps; b++) {
      const burst = schedule.bursts[b]!;
      const thread = this.firstEnabled(swarm, burst.thread % swarm.length);
      if (thread < 0) {
        if ((this.options.checkDeadlock ?? true) && !sys.isFinal()) violation = DEADLOCK;
        break;
      }
      // i: steps taken in this burst; counted: those that count towards burst.steps
      for (let i = 0, counted = 0; counted < burst.steps && violation === null && actions.length < maxSteps; i++) {
        if (i > 0) {
          this.enabled.length = 0;
          sys.enabledOf(thread, this.enabled);
          if (this.enabled.length === 0) break;
        }
        const before = burst.loops ? (sys.controlState?.(thread) ?? -1) : -1;
        const action = this.choose(mix(burst.pick, i));
        sys.apply(action, this.nxt);
        [this.cur, this.nxt] = [this.nxt, this.cur];
        sys.load(this.cur);
        actions.push(action);
        observe?.(this.cur, action);
        violation = this.violated();
        if (before < 0 || sys.controlState!(thread) !== before) counted++;
      }
    }
    return { violation, actions };
  }

  private violated(): string | null {
    for (const p of this.properties) if (!p.holds(this.cur)) return p.name;
    return null;
  }

  /**
   * The first thread with an enabled action (its actions left in `enabled`): from swarm[at] on
   * through the swarm, then through every thread after the last swarm one tried; -1 if none.
   */
  private firstEnabled(swarm: readonly number[], at: number): number {
    for (let k = 0; k < swarm.length; k++) {
      const t = swarm[(at + k) % swarm.length]!;
      if (this.hasEnabled(t)) return t;
    }
    const n = this.system.threads.length;
    const from = swarm[(at + swarm.length - 1) % swarm.length]!;
    for (let k = 1; k <= n; k++) {
      const t = (from + k) % n;
      if (this.hasEnabled(t)) return t;
    }
    return -1;
  }

  private hasEnabled(thread: number): boolean {
    this.enabled.length = 0;
    this.system.enabledOf(thread, this.enabled);
    return this.enabled.length > 0;
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
