import type { LogBuffers, LogReport } from "./edgeLog.ts";
import type { SystemFactory } from "./factory.ts";

/**
 * The words of the shared control array (an Int32Array over a SharedArrayBuffer) and the
 * messages between the coordinating thread and the worker threads. Words written often by several
 * threads sit on cache lines of their own.
 *
 * The explorers of a run are numbered 0..workers-1: 0 is the coordinating thread, which explores
 * too; 1..workers-1 are worker threads.
 */

/** Ids handed out so far (a failed insertion past the capacity also takes one). */
export const COUNT = 0;
/** Next frontier id to hand out; workers take chunks with Atomics.add. */
export const CURSOR = 16;
/** Set (1) when an explorer needs the store to grow: every explorer pauses before its next chunk. */
export const GROW = 32;
/** Set (1) when the capacity is final (the max-states bound, or memory refused growth): no pause for growth. */
export const EXACT = 33;
/** Set (1) when an insertion found the store full: nothing more is stored; every explorer pauses before its next chunk. */
export const FULL = 34;
/** Set (1) when the run must end (deadline, or a worker failed): workers stop at their next chunk. */
export const STOP = 35;
/** Set (1) when the store is full and the level is to be finished without storing (it found a violation). */
export const SCAN = 36;
/** Word READY + i is set (1) once explorer i has built the run's system and can take a level. */
export const READY = 48;

/** Words of the control array of a run with `workers` explorers. */
export function controlWords(workers: number): number {
	return READY + workers;
}

/**
 * Room the store must have beyond COUNT before an explorer takes a chunk: every explorer may be
 * expanding a whole chunk, and a state stores at most one new state per action.
 */
export function margin(workers: number, chunk: number, actions: number): number {
	return workers * chunk * Math.max(1, actions);
}

/** The shared arrays of a store, as sent to a worker (SharedArrayBuffers are shared, not copied). */
export interface StoreBuffers {
	readonly data: SharedArrayBuffer;
	readonly table: SharedArrayBuffer;
	readonly labels: SharedArrayBuffer;
}

/** What an explorer needs for one run (a worker thread gets it in an InitMessage and serves one run after another). */
export interface WorkerInit {
	readonly factory: SystemFactory;
	readonly control: SharedArrayBuffer;
	/** One Float64 per explorer: its running transition count, for progress reports. */
	readonly progress: SharedArrayBuffer;
	/** This explorer's number (0: the coordinating thread). */
	readonly index: number;
	/** Explorers in the run. */
	readonly workers: number;
	readonly checkDeadlock: boolean;
}

/**
 * Coordinator to worker: build the run's system, then set READY and answer with a ReadyMessage.
 * `run` tells this run's answer from that of an earlier run the worker had not answered yet.
 */
export interface InitMessage {
	readonly type: "init";
	readonly run: number;
	readonly init: WorkerInit;
}

/** Coordinator to worker: expand the frontier ids [start, end) in chunks of `chunk`. */
export interface LevelMessage {
	readonly type: "level";
	readonly start: number;
	readonly end: number;
	readonly chunk: number;
	readonly buffers: StoreBuffers;
	/** The explorer's edge log (liveness runs; null otherwise), written from its start again in each level. */
	readonly log: LogBuffers | null;
}

/** Coordinator to a paused worker: the store or its edge log has grown (or the store became final), carry on. */
export interface ResumeMessage {
	readonly type: "resume";
	readonly buffers: StoreBuffers;
	readonly log: LogBuffers | null;
}

/** Coordinator to worker: the run is over, drop it (and its shared arrays, `bytes` in all, collected at once when they are many). */
export interface EndMessage {
	readonly type: "end";
	readonly bytes: number;
}

export type ToWorker = InitMessage | LevelMessage | ResumeMessage | EndMessage;

/** An explorer's findings in one level so far (the whole level once `paused` is false). */
export interface LevelReport {
	readonly type: "report";
	/** The explorer stopped for growth or because the store is full; its level is not finished. */
	readonly paused: boolean;
	/** Transitions emitted by the states it expanded in this level so far. */
	readonly transitions: number;
	/** Its least (by state words) newly stored state violating a safety property, or -1. */
	readonly violationId: number;
	/** Index (in the safety properties) of the first property `violationId` violates. */
	readonly violationProperty: number;
	/** Its least (by state words) expanded deadlock state, or -1. */
	readonly deadlockId: number;
	/** What it wrote to its edge log in this level (liveness runs; null otherwise). */
	readonly log: LogReport | null;
}

/** What an explorer built: the coordinator checks that every explorer of a run built the same. */
export interface ExplorerShape {
	readonly stateWords: number;
	readonly actions: number;
	/** Liveness properties (labelled per state; with some, edges are logged). */
	readonly liveness: number;
	/** Each edge records the symmetry element applied to its target. */
	readonly recordElements: boolean;
}

/** Worker to coordinator, after building the system of run `run`. */
export interface ReadyMessage extends ExplorerShape {
	readonly type: "ready";
	readonly run: number;
}

export type FromWorker = LevelReport | ReadyMessage;
