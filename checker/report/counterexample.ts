/**
 * Turns an engine trace into a readable counterexample: one step per action, naming the thread,
 * the action, the thread's control state after it, and only the variables that changed (like
 * TLC's -difftrace), plus the communication between threads (communication.ts).
 */
import type { TransitionSystem } from '../engine/TransitionSystem.ts';
import type { Trace } from '../engine/index.ts';
import { type Communication, communication } from './communication.ts';

export type VarValues = Readonly<Record<string, unknown>>;

export interface CounterexampleStep {
  readonly thread: string;
  readonly action: string;
  /** The thread's control state after the step. */
  readonly state: string;
  /** Variables whose value the step changed, with their new values. */
  readonly changes: VarValues;
}

/** The control state of every thread and the value of every variable. */
export interface FullState {
  readonly threads: Readonly<Record<string, string>>;
  readonly vars: VarValues;
}

export interface Counterexample {
  /** Thread control states and variables of the initial state. */
  readonly initial: FullState;
  readonly steps: readonly CounterexampleStep[];
  /** For a lasso (liveness): the index into `steps` where the repeated cycle starts; else null. */
  readonly loopStart: number | null;
  /** Step `to` of one thread is ordered directly after step `from` of another (indices into `steps`; communication.ts). */
  readonly communication: readonly Communication[];
}

function changed(before: VarValues, after: VarValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(after)) if (after[key] !== before[key]) out[key] = after[key];
  return out;
}

export function toCounterexample(system: TransitionSystem, trace: Trace): Counterexample {
  const described = trace.states.map((s) => system.describe(s));
  const steps = trace.actions.map((a, i): CounterexampleStep => {
    const label = system.actions[a]!;
    const thread = system.threads[label.thread]!;
    return {
      thread,
      action: label.name,
      state: described[i + 1]!.threads[thread]!,
      changes: changed(described[i]!.vars, described[i + 1]!.vars),
    };
  });
  return { initial: described[0]!, steps, loopStart: trace.loopStart, communication: communication(system, trace) };
}

/** The full state before the first step (index 0) and after each step (index i + 1). */
export function statesOf(cex: Counterexample): FullState[] {
  const states: FullState[] = [cex.initial];
  for (const step of cex.steps) {
    const prev = states[states.length - 1]!;
    states.push({ threads: { ...prev.threads, [step.thread]: step.state }, vars: { ...prev.vars, ...step.changes } });
  }
  return states;
}

/** Thread switches: steps taken by another thread than the step before. */
export function threadSwitchCount(cex: Counterexample): number {
  return cex.steps.filter((s, i) => i > 0 && s.thread !== cex.steps[i - 1]!.thread).length;
}

/** The threads that take a step, in order of their first step. */
export function activeThreads(cex: Counterexample): string[] {
  return [...new Set(cex.steps.map((s) => s.thread))];
}
