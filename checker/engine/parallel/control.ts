import type { SystemFactory } from "./factory.ts";

/**
 * The words of the shared control array (an Int32Array over a SharedArrayBuffer) and the
 * messages between the coordinating thread and the workers. Words written often by several
 * threads sit on cache lines of their own.
 */

/** Ids handed out so far (a failed insertion past the capacity also takes one). */
export const COUNT = 0;
/** Next frontier id to hand out; workers take chunks with Atomics.add. */
export const CURSOR = 16;
/** Set (1) when a worker needs the store to grow: every worker pauses at its next state. */
export const GROW = 32;
/** Set (1) when the capacity is final (the max-states bound, or memory refused growth): no pause for growth. */
export const EXACT = 33;
/** Set (1) when an insertion found the store full: nothing more is stored in this level. */
export const FULL = 34;
/** Set (1) when the run must end (deadline, or a worker failed): workers stop at their next state. */
export const STOP = 35;
export const CONTROL_WORDS = 48;

/**
 * Room the store must have beyond COUNT before a worker takes a chunk: every worker may be
 * expanding a whole chunk, and a state stores at most one new state per action.
 */
export function margin(workers: number, chunk: number, actions: number): number {
	return workers * chunk * Math.max(1, actions);
}

/** The shared arrays of a store, as sent to a worker (SharedArrayBuffers are shared, not copied). */
export interface StoreBuffers {
	readonly data: SharedArrayBuffer;
	readonly parent: SharedArrayBuffer;
	readonly via: SharedArrayBuffer;
	readonly table: SharedArrayBuffer;
}

/** What a worker needs for one run (sent in an InitMessage; a worker serves one run after another). */
export interface WorkerInit {
	readonly factory: SystemFactory;
	readonly control: SharedArrayBuffer;
	/** One Float64 per worker: its running transition count, for progress reports. */
	readonly progress: SharedArrayBuffer;
	readonly index: number;
	readonly workers: number;
	readonly checkDeadlock: boolean;
}

/** Coordinator to worker: build the run's system (answered by a ReadyMessage). */
export interface InitMessage {
	readonly type: "init";
	readonly init: WorkerInit;
}

/** Coordinator to worker: expand the frontier ids [start, end) in chunks of `chunk`. */
export interface LevelMessage {
	readonly type: "level";
	readonly start: number;
	readonly end: number;
	readonly chunk: number;
	readonly buffers: StoreBuffers;
}

/** Coordinator to a paused worker: the store has grown (or became final), carry on. */
export interface ResumeMessage {
	readonly type: "resume";
	readonly buffers: StoreBuffers;
}

/** Coordinator to worker: the run is over, drop it (and its shared arrays). */
export interface EndMessage {
	readonly type: "end";
}

export type ToWorker = InitMessage | LevelMessage | ResumeMessage | EndMessage;

/** A worker's findings in one level (its figures are only meaningful when `paused` is false). */
export interface LevelReport {
	readonly type: "report";
	/** The worker stopped for growth; its level is not finished. */
	readonly paused: boolean;
	/** Transitions emitted by the states it expanded in this level. */
	readonly transitions: number;
	/** Its least (by state words) newly stored state violating a safety property, or -1. */
	readonly violationId: number;
	/** Index (in the safety properties) of the first property `violationId` violates. */
	readonly violationProperty: number;
	/** Its least (by state words) expanded deadlock state, or -1. */
	readonly deadlockId: number;
}

/** Worker to coordinator, after building the run's system. */
export interface ReadyMessage {
	readonly type: "ready";
	readonly stateWords: number;
	readonly actions: number;
}

export type FromWorker = LevelReport | ReadyMessage;
