import { EdgeStore } from "../edgeStore.ts";
import { labelBytes } from "../search.ts";
import type { Progress, SearchBounds, StopReason } from "../types.ts";
import { COUNT, CURSOR, controlWords, EXACT, FULL, GROW, type LevelMessage, type LevelReport, margin, READY, type ResumeMessage, SCAN, STOP, type WorkerInit } from "./control.ts";
import { createLog, EdgeLog, growLog, type LogBuffers } from "./edgeLog.ts";
import type { SystemBundle, SystemFactory } from "./factory.ts";
import { LevelWorker } from "./LevelWorker.ts";
import { MAX_CAPACITY, SharedStore } from "./SharedStore.ts";
import { WorkerPool } from "./WorkerPool.ts";

/** What a ParallelSearch explores and within which bounds. */
export interface ParallelConfig extends SearchBounds {
	readonly factory: SystemFactory;
	/** Explorers: the calling thread and `workers - 1` worker threads. */
	readonly workers: number;
	readonly stateWords: number;
	/** Number of actions of the system: a state has at most this many new successors. */
	readonly actions: number;
	/** When (performance.now() ms) new worker threads start loading; a released pool is used from the start. */
	readonly startWorkersAt: number;
	/** Liveness properties of the system: with some, the states are labelled and the edges recorded. */
	readonly liveness: number;
	/** The edges record the symmetry element applied to each (a liveness run under symmetry). */
	readonly recordElements: boolean;
}

const FIRST_CAPACITY = 4096;
const PROGRESS_MS = 500;
/** Frontier chunks handed out per explorer and level (smaller chunks balance better, cost more atomics). */
const CHUNKS_PER_WORKER = 32;
const MAX_CHUNK = 256;

/**
 * The coordinating side of the level-synchronous parallel BFS, run by `workers` explorers: the
 * calling thread and `workers - 1` worker threads. The frontier of level d is the id interval of
 * the states stored during level d-1; the explorers take chunks of it from a shared cursor, then
 * the coordinator tallies their reports.
 *
 * The calling thread explores from the start. New worker threads start loading at
 * `startWorkersAt` (loading takes about a second: tsx and the factory's modules, CPU time that a
 * run shorter than that would only lose); between its chunks the calling thread starts them when
 * that time has come, hands the current level to each worker that has become ready (READY), checks
 * the deadline and reports progress. The workers of a reused pool are ready within milliseconds:
 * the run takes them from the start and waits for them.
 *
 * Growth (chosen over pre-sizing from maxStates, which may be huge or absent): before each level
 * the store grows (doubling) to hold the states stored so far, the new states the level is
 * expected to add (its frontier times the previous level's branching factor, capped at doubling)
 * and a chunk per explorer in flight. When a level still runs out of room, every explorer pauses
 * before its next chunk, the store grows, and they carry on: nothing is redone. With `maxStates`
 * (or when memory refuses growth) the capacity becomes final and an insertion past it stops
 * storing and pauses every explorer: the level is finished (without storing) if it found a
 * violation, else the run stops there, as the sequential engine does (see LevelWorker).
 *
 * Liveness runs: each explorer labels the states it stores (the store's labels) and logs the edges
 * of the states it expands (edgeLog.ts); once a level is done, the coordinator appends the logged
 * chunks in id order to `edges`, the graph the sequential search records for the same ids.
 *
 * Verdicts: a level is finished before a verdict (unless the deadline stops it), so the violation
 * reported is one at the least depth, and among those the least by state words (deterministic
 * whatever the thread timing): deadlocks in level d (a counterexample of d steps) before safety
 * violations among the states of level d+1, as the sequential engine orders them.
 */
export class ParallelSearch {
	readonly store: SharedStore;
	/** The recorded graph (only with liveness properties), complete once the run holds. */
	readonly edges: EdgeStore | null;
	transitions = 0;
	depth = 0;
	/** Id of the violating state, or -1. */
	violationId = -1;
	/** Index in the safety properties of the violated one; -1 for a deadlock. */
	violationProperty = -1;
	stoppedBy: StopReason | null = null;
	/** Where each level's ids begin (levelPath.ts), the level being stored included. */
	readonly levelStarts: number[] = [0];

	private readonly cfg: ParallelConfig;
	private readonly control: Int32Array;
	private readonly progress: Float64Array;
	/** The calling thread's explorer. */
	private readonly own: LevelWorker;
	/** New states per frontier state in the last level (for level 0: the most possible). */
	private branching: number;
	/** Transitions per frontier state in the last level (for level 0: the most possible). */
	private fanOut: number;
	/** Why an insertion past the final capacity stops the search. */
	private fullReason: StopReason = "max-states";
	private frontierEnd = 0;
	private lastProgress: number;
	/** Worker threads, while a run has them. */
	private pool: WorkerPool | null = null;
	/** The level being explored, as sent to a worker that joins it. */
	private current: LevelMessage | null = null;
	/** Per worker thread: its ready message was checked. */
	private checked: boolean[];
	/** Per worker thread: it was sent the current level. */
	private joined: boolean[];
	/** Worker threads sent a level or a resume whose report has not been read. */
	private pending: number[] = [];
	/** Per explorer, its edge log (liveness runs; empty otherwise). */
	private readonly logs: LogBuffers[];

	private constructor(cfg: ParallelConfig, bundle: SystemBundle, store: SharedStore, control: Int32Array, edges: EdgeStore | null, logs: LogBuffers[]) {
		this.cfg = cfg;
		this.store = store;
		this.edges = edges;
		this.logs = logs;
		this.control = control;
		this.progress = new Float64Array(new SharedArrayBuffer(cfg.workers * Float64Array.BYTES_PER_ELEMENT));
		this.own = new LevelWorker(bundle, this.init(0), () => this.beforeChunk(), (states, edges) => this.growOwnLog(states, edges));
		this.checked = new Array<boolean>(cfg.workers - 1).fill(false);
		this.joined = new Array<boolean>(cfg.workers - 1).fill(false);
		this.branching = Math.max(1, cfg.actions);
		this.fanOut = this.branching;
		this.lastProgress = cfg.startTime;
		if (store.capacity >= cfg.maxStates) this.makeFinal("max-states");
	}

	/** A search with an empty store, or null when the budget refuses its first arrays. `bundle`: the factory's, built in this thread. */
	static create(bundle: SystemBundle, cfg: ParallelConfig): ParallelSearch | null {
		const control = new Int32Array(new SharedArrayBuffer(controlWords(cfg.workers) * Int32Array.BYTES_PER_ELEMENT));
		const maxCapacity = Math.min(cfg.maxStates, MAX_CAPACITY);
		const store = SharedStore.create(cfg.stateWords, labelBytes(cfg.liveness), Math.min(FIRST_CAPACITY, maxCapacity), maxCapacity, control, cfg.budget);
		if (store === null) return null;
		if (cfg.liveness === 0) return new ParallelSearch(cfg, bundle, store, control, null, []);
		const edges = EdgeStore.create(cfg.budget, cfg.actions, cfg.recordElements);
		const logs: LogBuffers[] = [];
		for (let e = 0; e < cfg.workers; e++) {
			const log = createLog(cfg.budget, cfg.actions, cfg.recordElements);
			if (log === null) return null;
			logs.push(log);
		}
		return edges === null ? null : new ParallelSearch(cfg, bundle, store, control, edges, logs);
	}

	/** Why storing failed (after findOrAdd returned NO_ROOM). */
	get storeFullReason(): StopReason {
		return this.fullReason;
	}

	private init(index: number): WorkerInit {
		const cfg = this.cfg;
		return {
			factory: cfg.factory,
			control: this.control.buffer as SharedArrayBuffer,
			progress: this.progress.buffer as SharedArrayBuffer,
			index,
			workers: cfg.workers,
			checkDeadlock: cfg.checkDeadlock,
		};
	}

	/** Explores from the states already stored (the initial one) to a verdict or a bound. */
	async run(): Promise<void> {
		const cfg = this.cfg;
		// while the calling thread explores, a timer cannot fire: beforeChunk checks the deadline too
		const deadline = Number.isFinite(cfg.deadline)
			? setTimeout(() => Atomics.store(this.control, STOP, 1), Math.max(0, cfg.deadline - performance.now()))
			: null;
		this.frontierEnd = this.store.count;
		const threads = cfg.workers - 1;
		if (threads > 0 && (WorkerPool.hasIdle(threads) || performance.now() >= cfg.startWorkersAt)) this.startWorkers();
		let finished = false;
		try {
			// a reused pool has its modules loaded and is ready within milliseconds: every explorer takes part from the first level
			if (this.pool?.reused) await Promise.all(this.checked.map((_, i) => this.whenReady(i)));
			await this.levels();
			finished = true;
		} finally {
			Atomics.store(this.control, STOP, 1);
			if (deadline !== null) clearTimeout(deadline);
			this.own.detach();
			for (const log of this.logs.splice(0)) for (const buffer of Object.values(log)) if (buffer !== null) this.cfg.budget.release(buffer);
			const pool = this.pool;
			this.pool = null;
			await pool?.release(finished, this.cfg.budget.used);
		}
	}

	/** Acquires the worker threads and has them build the run's system. */
	private startWorkers(): void {
		const threads = this.cfg.workers - 1;
		const pool = WorkerPool.acquire(threads);
		pool.start(Array.from({ length: threads }, (_, i) => this.init(i + 1)));
		this.pool = pool;
	}

	private async levels(): Promise<void> {
		const control = this.control;
		let start = 0;
		let end = this.store.count;
		for (let level = 0; start < end; level++) {
			this.levelStarts.push(end);
			if (performance.now() >= this.cfg.deadline) {
				this.stoppedBy = "max-seconds";
				return;
			}
			const frontier = end - start;
			this.frontierEnd = end;
			const chunk = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(frontier / (this.cfg.workers * CHUNKS_PER_WORKER))));
			const room = margin(this.cfg.workers, chunk, this.cfg.actions);
			// the estimate is capped at doubling: a level that outgrows it pauses for more
			this.reserve(end + Math.min(Math.ceil(frontier * this.branching), end) + room);
			const before = this.transitions;
			this.sizeWorkerLogs(frontier, chunk);
			Atomics.store(control, CURSOR, start);
			let current: LevelMessage = { type: "level", start, end, chunk, buffers: this.store.buffers, log: null };
			this.current = current;
			this.joined.fill(false);
			this.joinReady();
			let mine = this.own.level({ ...current, log: this.logOf(0) });
			const reports = await this.collect();
			for (;;) {
				const paused = [...reports.keys()].filter((i) => (reports.get(i) as LevelReport).paused);
				if (!mine.paused && paused.length === 0) break;
				if (Atomics.load(control, FULL) !== 0) {
					// the store is full: the rest of the level matters only when it found a violation (a deadlock there would be shorter)
					if (![mine, ...reports.values()].some((r) => r.violationId >= 0 || r.deadlockId >= 0)) break;
					Atomics.store(control, SCAN, 1);
				} else {
					this.reserve(Atomics.load(control, COUNT) + room);
					Atomics.store(control, GROW, 0);
				}
				const more = Atomics.load(control, SCAN) === 0 && Atomics.load(control, CURSOR) < end;
				if (more && !(this.roomInLog(0, mine, chunk) && paused.every((i) => this.roomInLog(i + 1, reports.get(i) as LevelReport, chunk)))) {
					this.stoppedBy = "max-memory";
					return;
				}
				const buffers = this.store.buffers;
				current = { ...current, buffers };
				this.current = current;
				for (const i of paused) this.send(i, { type: "resume", buffers, log: this.logOf(i + 1) });
				if (mine.paused) mine = this.own.resume(buffers, this.logOf(0));
				for (const [i, r] of await this.collect()) reports.set(i, r);
			}
			this.current = null;
			const count = this.store.count;
			if (count > end) this.depth = level + 1;
			if (this.tally([mine, ...reports.values()])) return;
			if (Atomics.load(control, STOP) !== 0) {
				this.stoppedBy = "max-seconds";
				return;
			}
			if (Atomics.load(control, FULL) !== 0) {
				this.stoppedBy = this.fullReason;
				return;
			}
			if (!this.mergeEdges(start, end, mine, reports)) {
				this.stoppedBy = "max-memory";
				return;
			}
			this.branching = (count - end) / frontier;
			this.fanOut = (this.transitions - before) / frontier;
			start = end;
			end = count;
		}
		if (this.edges !== null && !this.edges.finish(this.store.count)) this.stoppedBy = "max-memory";
	}

	/** Explorer e's edge log, or null (no liveness). */
	private logOf(e: number): LogBuffers | null {
		return this.logs[e] ?? null;
	}

	/**
	 * Before a level of `frontier` states (in chunks of `chunk`): grows each worker thread's edge
	 * log to hold the whole level's edges as the last level's fan-out predicts, with a quarter more,
	 * where memory allows (else it stays: a pause grows it when it must). A worker thread whose log
	 * fills pauses until the calling thread has finished its own part of the level (guest-mode 3x2
	 * with liveness: the worker thread idle for 13 of 21 s with logs that doubled on demand); the
	 * calling thread's log grows at once when it must (growOwnLog).
	 */
	private sizeWorkerLogs(frontier: number, chunk: number): void {
		const edges = Math.ceil(frontier * this.fanOut * 1.25) + chunk * this.cfg.actions;
		for (let e = 1; e < this.logs.length; e++) {
			// a worker thread still loading joins late, for a smaller part: its log grows when it must
			if (Atomics.load(this.control, READY + e) !== 0) this.growLogTo(e, frontier + chunk, edges);
		}
	}

	/** The calling thread's edge log grown to hold `states` states and `edges` edges (at least doubled); null when memory refuses it. */
	private growOwnLog(states: number, edges: number): LogBuffers | null {
		return this.doubleLog(0, states, edges) ? (this.logs[0] as LogBuffers) : null;
	}

	/**
	 * Grows explorer e's edge log when its report `r` says it paused for want of room (for
	 * another chunk of `chunk` states); false when memory refuses it.
	 */
	private roomInLog(e: number, r: LevelReport, chunk: number): boolean {
		const log = r.log;
		return log === null || !log.full || this.doubleLog(e, log.states + chunk, log.edges + chunk * this.cfg.actions);
	}

	/** Grows explorer e's edge log to hold `states` states and `edges` edges, and to at least twice its size; false when memory refuses it. */
	private doubleLog(e: number, states: number, edges: number): boolean {
		const log = new EdgeLog(this.logs[e] as LogBuffers, this.cfg.actions);
		return this.growLogTo(e, Math.max(states, 2 * log.degrees.length), Math.max(edges, 2 * log.target.length));
	}

	/** Grows explorer e's edge log to hold `states` states and `edges` edges (if it does not); false when memory refuses it. */
	private growLogTo(e: number, states: number, edges: number): boolean {
		const { log, grown } = growLog(this.cfg.budget, this.cfg.actions, this.logs[e] as LogBuffers, states, edges);
		this.logs[e] = log;
		return grown;
	}

	/**
	 * Appends the edges of the level's frontier [start, end), logged by the explorers whose final
	 * reports are `mine` (the calling thread's) and `reports` (by worker thread), to `edges` in id
	 * order; false when memory refuses it. Nothing to do without liveness.
	 */
	private mergeEdges(start: number, end: number, mine: LevelReport, reports: ReadonlyMap<number, LevelReport>): boolean {
		const edges = this.edges;
		if (edges === null) return true;
		const pieces: { first: number; count: number; log: EdgeLog; d: number; x: number }[] = [];
		for (const [e, r] of [[0, mine] as const, ...[...reports].map(([i, r]) => [i + 1, r] as const)]) {
			const chunks = r.log?.chunks ?? [];
			const log = new EdgeLog(this.logs[e] as LogBuffers, this.cfg.actions);
			for (let c = 0; c < chunks.length; c += 4) {
				pieces.push({ first: chunks[c] as number, count: chunks[c + 1] as number, log, d: chunks[c + 2] as number, x: chunks[c + 3] as number });
			}
		}
		pieces.sort((a, b) => a.first - b.first);
		let next = start;
		for (const { first, count, log, d, x } of pieces) {
			if (first !== next) throw new Error(`kvmcheck engine: internal error: the explorers' logs hold ids from ${first}, expected ${next}`);
			if (!edges.appendStates(first, count, log.degrees, d, log.target, log.action, log.element, x)) return false;
			next += count;
		}
		if (next !== end) throw new Error(`kvmcheck engine: internal error: the explorers' logs end at id ${next}, expected ${end}`);
		return true;
	}

	/** Between the calling thread's chunks: the deadline, progress, and workers that became ready. */
	private beforeChunk(): void {
		const now = performance.now();
		if (now >= this.cfg.deadline) Atomics.store(this.control, STOP, 1);
		if (this.pool === null && this.cfg.workers > 1 && now >= this.cfg.startWorkersAt) this.startWorkers();
		const onProgress = this.cfg.onProgress;
		if (onProgress !== null && now - this.lastProgress >= PROGRESS_MS) {
			this.lastProgress = now;
			onProgress(this.currentProgress(now));
		}
		this.joinReady();
	}

	/** Sends the current level to each worker thread that is ready and has not got it. */
	private joinReady(): void {
		const level = this.current;
		if (level === null || this.pool === null) return;
		for (let i = 0; i < this.joined.length; i++) {
			if (this.joined[i] || Atomics.load(this.control, READY + i + 1) === 0) continue;
			this.joined[i] = true;
			this.send(i, { ...level, log: this.logOf(i + 1) });
		}
	}

	private send(i: number, msg: LevelMessage | ResumeMessage): void {
		(this.pool as WorkerPool).post(i, msg);
		this.pending.push(i);
	}

	/** The reports of the worker threads pending, by worker (after checking each one's ready message once). */
	private async collect(): Promise<Map<number, LevelReport>> {
		const pool = this.pool as WorkerPool;
		const waiting = this.pending;
		this.pending = [];
		const reports = await Promise.all(
			waiting.map(async (i) => {
				await this.whenReady(i);
				return pool.report(i);
			}),
		);
		return new Map(waiting.map((i, k) => [i, reports[k] as LevelReport]));
	}

	/** Waits for worker thread i's ready message (once) and checks that it built the same system. */
	private async whenReady(i: number): Promise<void> {
		if (this.checked[i]) return;
		const ready = await (this.pool as WorkerPool).ready(i);
		const { stateWords, actions, liveness, recordElements } = this.cfg;
		if (ready.stateWords !== stateWords || ready.actions !== actions || ready.liveness !== liveness || ready.recordElements !== recordElements) {
			throw new Error("exploreParallel: a worker built a different system (state words, actions, liveness properties or reduction differ): the factory must be deterministic");
		}
		this.checked[i] = true;
	}

	/** Adds up the level's reports; true when they hold a violation (then recorded). */
	private tally(reports: readonly LevelReport[]): boolean {
		const store = this.store;
		let deadlock = -1;
		let violation = -1;
		let property = -1;
		for (const r of reports) {
			this.transitions += r.transitions;
			if (r.deadlockId >= 0 && (deadlock < 0 || store.compare(r.deadlockId, deadlock) < 0)) deadlock = r.deadlockId;
			if (r.violationId >= 0 && (violation < 0 || store.compare(r.violationId, violation) < 0)) {
				violation = r.violationId;
				property = r.violationProperty;
			}
		}
		if (deadlock >= 0) {
			this.violationId = deadlock;
			this.violationProperty = -1;
		} else if (violation >= 0) {
			this.violationId = violation;
			this.violationProperty = property;
		}
		return this.violationId >= 0;
	}

	/** Grows the store to hold `need` states (doubling), or makes its capacity final when it cannot. */
	private reserve(need: number): void {
		const store = this.store;
		if (need <= store.capacity || Atomics.load(this.control, EXACT) !== 0) return;
		const limit = Math.min(this.cfg.maxStates, MAX_CAPACITY);
		const target = Math.min(Math.max(need, 2 * store.capacity), limit);
		if (target > store.capacity) {
			const fallback = Math.min(need, limit);
			if (!store.grow(target, this.cfg.budget) && !(fallback < target && store.grow(fallback, this.cfg.budget))) {
				this.makeFinal("max-memory");
				return;
			}
		}
		if (store.capacity >= limit) this.makeFinal(this.cfg.maxStates <= MAX_CAPACITY ? "max-states" : "max-memory");
	}

	private makeFinal(reason: StopReason): void {
		this.fullReason = reason;
		Atomics.store(this.control, EXACT, 1);
	}

	private currentProgress(now: number): Progress {
		const count = this.store.count;
		let transitions = 0;
		for (const t of this.progress) transitions += t;
		const cursor = Math.min(Atomics.load(this.control, CURSOR), this.frontierEnd);
		return {
			states: count,
			transitions,
			depth: count > this.frontierEnd ? this.depth + 1 : this.depth,
			frontier: Math.max(0, count - cursor),
			seconds: (now - this.cfg.startTime) / 1000,
		};
	}
}
