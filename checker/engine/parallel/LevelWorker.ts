import { type LivenessProperty, labelBytes, livenessProperties, type SafetyProperty, safetyProperties, writeLabels } from "../search.ts";
import { NO_ROOM } from "../stateStore.ts";
import type { TransitionSystem } from "../TransitionSystem.ts";
import { BATCH_STATES, SuccessorBatch } from "../successorBatch.ts";
import { COUNT, CURSOR, EXACT, type ExplorerShape, FULL, GROW, type LevelMessage, type LevelReport, margin, SCAN, STOP, type StoreBuffers, type WorkerInit } from "./control.ts";
import { EdgeLog, type LogBuffers, type LogReport } from "./edgeLog.ts";
import { bundleReduction, type SystemBundle } from "./factory.ts";
import { SharedStore } from "./SharedStore.ts";

/**
 * One explorer's part of a level: takes chunks of the frontier from the shared cursor, expands each
 * state into the shared store, checks deadlock on the states it expands and the safety properties
 * on the states it stores, and keeps the least (by state words) of each kind of violation. In a
 * liveness run it also labels the states it stores (the store's labels) and records the edges of
 * the states it expands in its edge log; before each chunk it makes sure the log has room for it
 * (at most one edge per action and state), else it returns a paused report that says so.
 *
 * It reads the shared flags only between chunks (no atomics per state but the insertions'), and
 * calls `beforeChunk` there (the coordinating thread's explorer uses it for its other duties).
 * Growth protocol: before each chunk it makes sure the store has room for a chunk per explorer (at
 * most one new state per action and state); when it has not, it raises GROW and returns a paused
 * report (between chunks, so nothing is left half done). When the capacity is final (EXACT), it
 * expands without that check and an insertion past the capacity raises FULL: nothing more is
 * stored, and it pauses before its next chunk; if the coordinator then raises SCAN (the level found
 * a violation, and a deadlock later in it would be shorter), it finishes the level without storing.
 */
export class LevelWorker {
	private readonly sys: TransitionSystem;
	private readonly safety: readonly SafetyProperty[];
	private readonly liveness: readonly LivenessProperty[];
	private readonly checkDeadlock: boolean;
	private readonly control: Int32Array;
	private readonly progress: Float64Array;
	private readonly index: number;
	private readonly workers: number;
	private readonly checkBuf: Uint32Array;
	private readonly batch: SuccessorBatch;
	/** Ids stored by the current expansion (at most one per action). */
	private readonly fresh: Int32Array;
	private readonly beforeChunk: (() => void) | null;
	private readonly growLog: ((states: number, edges: number) => LogBuffers | null) | null;
	/** What it built (ExplorerShape). */
	readonly shape: ExplorerShape;
	private store: SharedStore | null = null;
	private freshCount = 0;
	/** The edge log (liveness runs) and how far it is filled in this level. */
	private log: EdgeLog | null = null;
	private logStates = 0;
	private logEdges = 0;
	private logChunks: number[] = [];
	private logFull = false;
	private end = 0;
	private chunk = 1;
	private exact = false;
	private noInsert = false;
	private transitions = 0;
	private totalTransitions = 0;
	private violationId = -1;
	private violationProperty = -1;
	private deadlockId = -1;

	/**
	 * `beforeChunk` and `growLog` serve the coordinating thread's explorer: the one is called
	 * before each chunk, the other when the edge log has no room for one (it returns the log grown
	 * to hold that many states and edges, or null when memory refuses it); a worker thread's
	 * explorer has neither and pauses instead.
	 */
	constructor(
		bundle: SystemBundle,
		init: WorkerInit,
		beforeChunk: (() => void) | null = null,
		growLog: ((states: number, edges: number) => LogBuffers | null) | null = null,
	) {
		const sys = bundle.system;
		this.beforeChunk = beforeChunk;
		this.growLog = growLog;
		this.sys = sys;
		this.safety = safetyProperties(bundle.properties);
		this.liveness = livenessProperties(bundle.properties);
		this.checkDeadlock = init.checkDeadlock;
		this.control = new Int32Array(init.control);
		this.progress = new Float64Array(init.progress);
		this.index = init.index;
		this.workers = init.workers;
		this.checkBuf = new Uint32Array(sys.stateWords);
		const reduction = bundleReduction(bundle, []);
		const recordElements = reduction.symmetry !== null;
		this.batch = new SuccessorBatch(sys, reduction.canonicalize, recordElements);
		this.shape = { stateWords: sys.stateWords, actions: sys.actions.length, liveness: this.liveness.length, recordElements };
		this.fresh = new Int32Array(this.batch.perState);
	}

	/** Starts a level: expands frontier ids [start, end). */
	level(msg: LevelMessage): LevelReport {
		this.end = msg.end;
		this.attach(msg.buffers, msg.log);
		this.logStates = 0;
		this.logEdges = 0;
		this.logChunks = [];
		this.chunk = msg.chunk;
		this.noInsert = false;
		this.transitions = 0;
		this.violationId = -1;
		this.violationProperty = -1;
		this.deadlockId = -1;
		return this.run();
	}

	/** Carries on after a pause, over the (possibly grown) store and log. */
	resume(buffers: StoreBuffers, log: LogBuffers | null): LevelReport {
		this.attach(buffers, log);
		return this.run();
	}

	/** Drops its views of the run's shared arrays (the run is over). */
	detach(): void {
		this.store = null;
		this.log = null;
	}

	private attach(buffers: StoreBuffers, log: LogBuffers | null): void {
		this.store = new SharedStore(this.sys.stateWords, labelBytes(this.liveness.length), buffers, this.control);
		this.log = log === null ? null : new EdgeLog(log, this.sys.actions.length);
		this.logFull = false;
		// the frontier [start, end) and everything before it was stored in earlier levels
		this.store.settled = this.end;
		this.exact = Atomics.load(this.control, EXACT) !== 0;
	}

	private run(): LevelReport {
		const control = this.control;
		const store = this.store as SharedStore;
		for (;;) {
			this.progress[this.index] = this.totalTransitions;
			this.beforeChunk?.();
			if (Atomics.load(control, STOP) !== 0) return this.report(false);
			if (Atomics.load(control, FULL) !== 0) {
				if (Atomics.load(control, SCAN) === 0) return this.report(true);
				this.noInsert = true;
			}
			if (!this.noInsert && !this.exact && Atomics.load(control, CURSOR) < this.end) {
				const room = margin(this.workers, this.chunk, this.batch.perState);
				if (Atomics.load(control, GROW) !== 0 || Atomics.load(control, COUNT) + room > store.capacity) {
					Atomics.store(control, GROW, 1);
					return this.report(true);
				}
			}
			if (this.log !== null && !this.noInsert && Atomics.load(control, CURSOR) < this.end && !this.roomInLog()) {
				this.logFull = true;
				return this.report(true);
			}
			const c = Atomics.add(control, CURSOR, this.chunk);
			if (c >= this.end) return this.report(false);
			const chunkEnd = Math.min(c + this.chunk, this.end);
			if (this.log !== null && !this.noInsert) this.logChunks.push(c, chunkEnd - c, this.logStates, this.logEdges);
			for (let id = c; id < chunkEnd; id += BATCH_STATES) this.expandBatch(id, Math.min(id + BATCH_STATES, chunkEnd));
		}
	}

	/** The edge log has room for another chunk, or has been grown to (growLog). */
	private roomInLog(): boolean {
		const states = this.logStates + this.chunk;
		const edges = this.logEdges + this.chunk * this.batch.perState;
		if ((this.log as EdgeLog).holds(states, edges)) return true;
		const grown = this.growLog?.(states, edges) ?? null;
		if (grown === null) return false;
		this.log = new EdgeLog(grown, this.sys.actions.length);
		return this.log.holds(states, edges);
	}

	/** Expands states `from..to-1` (one batch), in order. */
	private expandBatch(from: number, to: number): void {
		const batch = this.batch;
		batch.expand(this.store as SharedStore, from, to);
		let j = 0;
		for (let id = from; id < to; id++) {
			const end = batch.ends[id - from] as number;
			this.expand(id, j, end);
			j = end;
		}
	}

	/**
	 * Stores state `id`'s successors, the batch's `j..end-1` (logging its edges); checks deadlock
	 * there and the safety properties on the new states, and labels them.
	 */
	private expand(id: number, j: number, end: number): void {
		const store = this.store as SharedStore;
		const batch = this.batch;
		this.transitions += end - j;
		this.totalTransitions += end - j;
		this.freshCount = 0;
		const words = this.sys.stateWords;
		// once nothing is stored, the level's edges are of no use (the run ends with it)
		const log = this.noInsert ? null : this.log;
		const elements = batch.elements;
		if (log !== null) log.degrees[this.logStates++] = end - j;
		for (let k = j; k < end && !this.noInsert; k++) {
			const r = store.findOrAddHashed(batch.words, k * words, batch.hashes[k] as number);
			if (r === NO_ROOM) {
				this.noInsert = true;
				Atomics.store(this.control, FULL, 1);
				break;
			}
			if (r < 0) this.fresh[this.freshCount++] = ~r;
			if (log === null) continue;
			const e = this.logEdges++;
			log.target[e] = r < 0 ? ~r : r;
			log.action[e] = batch.actions[k] as number;
			if (log.element !== null && elements !== null) log.element[e] = elements[k] as number;
		}
		if (end === j && this.checkDeadlock && !batch.isFinal(store, id)) {
			if (this.deadlockId < 0 || store.compare(id, this.deadlockId) < 0) this.deadlockId = id;
		}
		const sys = this.sys;
		const safety = this.safety;
		const liveness = this.liveness;
		if (safety.length === 0 && liveness.length === 0) return;
		for (let f = 0; f < this.freshCount; f++) {
			const fresh = this.fresh[f] as number;
			store.load(fresh, this.checkBuf);
			sys.load(this.checkBuf);
			if (liveness.length > 0) writeLabels(store.labels, store.labelStride, fresh, liveness);
			for (let i = 0; i < safety.length; i++) {
				if ((safety[i] as SafetyProperty).holds()) continue;
				if (this.violationId < 0 || store.compare(fresh, this.violationId) < 0) {
					this.violationId = fresh;
					this.violationProperty = i;
				}
				break;
			}
		}
	}

	private report(paused: boolean): LevelReport {
		this.progress[this.index] = this.totalTransitions;
		return {
			type: "report",
			paused,
			transitions: this.transitions,
			violationId: this.violationId,
			violationProperty: this.violationProperty,
			deadlockId: this.deadlockId,
			log: this.log === null ? null : this.logReport(),
		};
	}

	private logReport(): LogReport {
		return { states: this.logStates, edges: this.logEdges, chunks: this.logChunks, full: this.logFull };
	}
}
