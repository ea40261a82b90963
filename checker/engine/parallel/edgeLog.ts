import { actionIdArray } from "../edgeStore.ts";
import type { MemoryBudget } from "../memory.ts";

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
	/** The chunks of the frontier it expanded, in order: their first id and number of states, flattened. */
	readonly chunks: readonly number[];
	/** It paused because the log has no room for another chunk. */
	readonly full: boolean;
}

/**
 * Views over one explorer's edge log, in which a liveness run records, level by level, the edges of
 * the states the explorer expands: per state (in the order it expanded them) its number of edges,
 * in `degrees`, and its edges one list after another in `target/action/element`. Its LogReport
 * says which frontier ids those states are. The coordinating thread allocates and grows the
 * buffers (through the run's MemoryBudget, {@link growLog}) and, once a level is done, appends
 * every explorer's chunks to the run's EdgeStore in id order (ParallelSearch), which so holds the
 * graph a sequential search records.
 */
export class EdgeLog {
	readonly degrees: Int32Array;
	readonly target: Int32Array;
	readonly action: Int32Array | Uint16Array;
	readonly element: Uint8Array | null;

	/** Views over `buffers`, for a system of `actions` actions. */
	constructor(
		readonly buffers: LogBuffers,
		actions: number,
	) {
		this.degrees = new Int32Array(buffers.degrees, 0, buffers.degrees.byteLength / 4);
		this.target = new Int32Array(buffers.target, 0, buffers.target.byteLength / 4);
		const ids = actionIdArray(actions);
		this.action = new ids(buffers.action, 0, buffers.action.byteLength / ids.BYTES_PER_ELEMENT);
		this.element = buffers.element === null ? null : new Uint8Array(buffers.element, 0, buffers.element.byteLength);
	}

	/** It holds `states` states and `edges` edges. */
	holds(states: number, edges: number): boolean {
		return states <= this.degrees.length && edges <= this.target.length;
	}
}

/**
 * A log for `states` states and `edges` edges of a system of `actions` actions (with a symmetry
 * element per edge when `elements`): `old` grown (in place where it can), or new when `old` is
 * null. Null when the budget refuses it (`old` is then still whole, perhaps partly grown).
 */
export function growLog(budget: MemoryBudget, actions: number, elements: boolean, old: LogBuffers | null, states: number, edges: number): LogBuffers | null {
	const sized = (buffer: SharedArrayBuffer | undefined, bytes: number): SharedArrayBuffer | null => {
		if (buffer === undefined) return budget.buffer(bytes, Number.POSITIVE_INFINITY);
		return bytes <= buffer.byteLength ? buffer : budget.growBuffer(buffer, bytes);
	};
	const degrees = sized(old?.degrees, 4 * states);
	const target = degrees === null ? null : sized(old?.target, 4 * edges);
	const action = target === null ? null : sized(old?.action, actionIdArray(actions).BYTES_PER_ELEMENT * edges);
	const element = action === null || !elements ? null : sized(old?.element ?? undefined, edges);
	if (degrees === null || target === null || action === null || (elements && element === null)) return null;
	return { degrees, target, action, element };
}
