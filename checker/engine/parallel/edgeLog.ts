import { actionIdArray } from "../edgeStore.ts";
import type { MemoryBudget } from "../memory.ts";

/** A first log's size, in states and in edges. */
const FIRST_STATES = 1024;
const FIRST_EDGES = 16384;

/** The shared arrays of an explorer's edge log, as sent to the explorer. */
export interface LogBuffers {
	readonly degrees: SharedArrayBuffer;
	readonly target: SharedArrayBuffer;
	readonly action: SharedArrayBuffer;
	/** Null when the run records no symmetry elements. */
	readonly element: SharedArrayBuffer | null;
}

/** How far an explorer has filled its log in the current level, as it reports it. */
export interface LogReport {
	/** States and edges written. */
	readonly states: number;
	readonly edges: number;
	/**
	 * The chunks of the frontier it expanded, in order, flattened: per chunk its first id, its number
	 * of states, and where its states' degrees and edges begin in the log.
	 */
	readonly chunks: readonly number[];
	/** It paused because the log has no room for another chunk. */
	readonly full: boolean;
}

/**
 * Views over one explorer's edge log, in which a liveness run records, level by level, the edges of
 * the states the explorer expands: per state (in the order it expanded them) its number of edges,
 * in `degrees`, and its edges one list after another in `target/action/element`. Its LogReport
 * says which frontier ids those states are. The coordinating thread allocates and grows the
 * buffers (through the run's MemoryBudget: {@link createLog}, {@link growLog}) and, once a level
 * is done, appends every explorer's chunks to the run's EdgeStore in id order (ParallelSearch),
 * which so holds the graph a sequential search records.
 */
export class EdgeLog {
	readonly degrees: Int32Array;
	readonly target: Int32Array;
	readonly action: Int32Array | Uint16Array;
	readonly element: Uint8Array | null;

	/** Views over `buffers`, for a system of `actions` actions. */
	constructor(buffers: LogBuffers, actions: number) {
		this.degrees = new Int32Array(buffers.degrees, 0, buffers.degrees.byteLength / 4);
		this.target = new Int32Array(buffers.target, 0, buffers.target.byteLength / 4);
		const ids = actionIdArray(actions);
		this.action = new ids(buffers.action, 0, buffers.action.byteLength / ids.BYTES_PER_ELEMENT);
		this.element = buffers.element === null ? null : new Uint8Array(buffers.element, 0, buffers.element.byteLength);
	}

	/** It holds `states` states and `edges` edges (in every array: a growth the budget cut short may have grown some). */
	holds(states: number, edges: number): boolean {
		return states <= this.degrees.length && edges <= this.target.length && edges <= this.action.length && (this.element === null || edges <= this.element.length);
	}
}

/** A first edge log for a system of `actions` actions (a symmetry element per edge when `elements`); null when the budget refuses it. */
export function createLog(budget: MemoryBudget, actions: number, elements: boolean): LogBuffers | null {
	const sizes = logBytes(actions, FIRST_STATES, FIRST_EDGES);
	const buffers: SharedArrayBuffer[] = [];
	for (const key of elements ? LOG_KEYS : LOG_KEYS.slice(0, 3)) {
		const buffer = budget.buffer(sizes[key], Number.POSITIVE_INFINITY);
		if (buffer === null) {
			for (const b of buffers) budget.release(b);
			return null;
		}
		buffers.push(buffer);
	}
	const [degrees, target, action, element] = buffers as [SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer | undefined];
	return { degrees, target, action, element: element ?? null };
}

/**
 * `log` (of a system of `actions` actions) grown, in place where it can, to hold `states` states
 * and `edges` edges: `grown` is false when the budget refused some buffer, and `log` then holds
 * each buffer as it is now (one grown by a copy is a new buffer, the old one released).
 */
export function growLog(budget: MemoryBudget, actions: number, log: LogBuffers, states: number, edges: number): { readonly log: LogBuffers; readonly grown: boolean } {
	const sizes = logBytes(actions, states, edges);
	const out: { -readonly [K in keyof LogBuffers]: LogBuffers[K] } = { ...log };
	for (const key of LOG_KEYS) {
		const buffer = out[key];
		if (buffer === null || sizes[key] <= buffer.byteLength) continue;
		const grown = budget.growBuffer(buffer, sizes[key]);
		if (grown === null) return { log: out, grown: false };
		out[key] = grown;
	}
	return { log: out, grown: true };
}

const LOG_KEYS = ["degrees", "target", "action", "element"] as const;

/** The bytes of each buffer of a log for `states` states and `edges` edges. */
function logBytes(actions: number, states: number, edges: number): Record<keyof LogBuffers, number> {
	return { degrees: 4 * states, target: 4 * edges, action: actionIdArray(actions).BYTES_PER_ELEMENT * edges, element: edges };
}
