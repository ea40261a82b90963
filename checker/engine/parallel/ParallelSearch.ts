import type { MemoryBudget } from "../memory.ts";
import type { Progress, StopReason } from "../types.ts";
import { CONTROL_WORDS, COUNT, CURSOR, EXACT, FULL, GROW, type LevelReport, margin, STOP } from "./control.ts";
import type { SystemFactory } from "./factory.ts";
import { MAX_CAPACITY, SharedStore } from "./SharedStore.ts";
import { WorkerPool } from "./WorkerPool.ts";

/** What a ParallelSearch explores and within which bounds. */
export interface ParallelConfig {
	readonly factory: SystemFactory;
	readonly workers: number;
	readonly stateWords: number;
	/** Number of actions of the system: a state has at most this many new successors. */
	readonly actions: number;
	readonly checkDeadlock: boolean;
	readonly maxStates: number;
	/** `performance.now()` deadline in ms (Infinity: none). */
	readonly deadline: number;
	readonly budget: MemoryBudget;
	readonly onProgress: ((p: Progress) => void) | null;
	/** `performance.now()` at the start, in ms. */
	readonly startTime: number;
}

const FIRST_CAPACITY = 4096;
const PROGRESS_MS = 500;
/** Frontier chunks handed out per worker and level (smaller chunks balance better, cost more atomics). */
const CHUNKS_PER_WORKER = 32;
const MAX_CHUNK = 256;

/**
 * The coordinating side of the level-synchronous parallel BFS. The frontier of level d is the id
 * interval of the states stored during level d-1; every level runs on all workers, then the
 * coordinator tallies their reports.
 *
 * Growth (chosen over pre-sizing from maxStates, which may be huge or absent): before each level
 * the store grows (doubling) to hold the states stored so far, the new states the level is
 * expected to add (its frontier times the previous level's branching factor, capped at doubling)
 * and a chunk per worker in flight. When a level still runs out of room, every worker pauses
 * before its next chunk, the store grows, and they carry on: nothing is redone. With `maxStates`
 * (or when memory refuses growth) the capacity becomes final and an insertion past it stops
 * storing (see LevelWorker).
 *
 * Verdicts: a level is finished before a verdict (unless the deadline stops it), so the violation
 * reported is one at the least depth, and among those the least by state words (deterministic
 * whatever the thread timing): deadlocks in level d (a counterexample of d steps) before safety
 * violations among the states of level d+1, as the sequential engine orders them.
 */
export class ParallelSearch {
	readonly store: SharedStore;
	transitions = 0;
	depth = 0;
	/** Id of the violating state, or -1. */
	violationId = -1;
	/** Index in the safety properties of the violated one; -1 for a deadlock. */
	violationProperty = -1;
	stoppedBy: StopReason | null = null;

	private readonly cfg: ParallelConfig;
	private readonly control: Int32Array;
	private readonly progress: Float64Array;
	/** New states per frontier state in the last level (for level 0: the most possible). */
	private branching: number;
	/** Why an insertion past the final capacity stops the search. */
	private fullReason: StopReason = "max-states";
	private frontierEnd = 0;

	private constructor(cfg: ParallelConfig, store: SharedStore, control: Int32Array) {
		this.cfg = cfg;
		this.store = store;
		this.control = control;
		this.progress = new Float64Array(new SharedArrayBuffer(cfg.workers * Float64Array.BYTES_PER_ELEMENT));
		this.branching = Math.max(1, cfg.actions);
		if (store.capacity >= cfg.maxStates) this.makeFinal("max-states");
	}

	/** A search with an empty store, or null when the budget refuses its first arrays. */
	static create(cfg: ParallelConfig): ParallelSearch | null {
		const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT));
		const store = SharedStore.create(cfg.stateWords, Math.min(FIRST_CAPACITY, cfg.maxStates, MAX_CAPACITY), control, cfg.budget);
		return store === null ? null : new ParallelSearch(cfg, store, control);
	}

	/** Why storing failed (after findOrAdd returned NO_ROOM). */
	get storeFullReason(): StopReason {
		return this.fullReason;
	}

	/** Explores from the states already stored (the initial one) to a verdict or a bound. */
	async run(): Promise<void> {
		const cfg = this.cfg;
		const inits = Array.from({ length: cfg.workers }, (_, index) => ({
			factory: cfg.factory,
			control: this.control.buffer as SharedArrayBuffer,
			progress: this.progress.buffer as SharedArrayBuffer,
			index,
			workers: cfg.workers,
			checkDeadlock: cfg.checkDeadlock,
		}));
		const deadline = Number.isFinite(cfg.deadline)
			? setTimeout(() => Atomics.store(this.control, STOP, 1), Math.max(0, cfg.deadline - performance.now()))
			: null;
		const onProgress = cfg.onProgress;
		const ticker = onProgress === null ? null : setInterval(() => onProgress(this.currentProgress()), PROGRESS_MS);
		this.frontierEnd = this.store.count;
		const pool = WorkerPool.acquire(cfg.workers);
		let finished = false;
		try {
			for (const ready of await pool.init(inits)) {
				if (ready.stateWords !== cfg.stateWords || ready.actions !== cfg.actions) {
					throw new Error("exploreParallel: a worker built a different system (state words or actions differ): the factory must be deterministic");
				}
			}
			await this.levels(pool);
			finished = true;
		} finally {
			Atomics.store(this.control, STOP, 1);
			if (deadline !== null) clearTimeout(deadline);
			if (ticker !== null) clearInterval(ticker);
			await pool.release(finished);
		}
	}

	private async levels(pool: WorkerPool): Promise<void> {
		const control = this.control;
		const all = Array.from({ length: this.cfg.workers }, (_, i) => i);
		let start = 0;
		let end = this.store.count;
		for (let level = 0; start < end; level++) {
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
			Atomics.store(control, CURSOR, start);
			const reports = await pool.exchange(all, { type: "level", start, end, chunk, buffers: this.store.buffers });
			for (;;) {
				const paused = all.filter((i) => (reports[i] as LevelReport).paused);
				if (paused.length === 0) break;
				this.reserve(Atomics.load(control, COUNT) + room);
				Atomics.store(control, GROW, 0);
				const resumed = await pool.exchange(paused, { type: "resume", buffers: this.store.buffers });
				paused.forEach((i, k) => {
					reports[i] = resumed[k] as LevelReport;
				});
			}
			const count = this.store.count;
			if (count > end) this.depth = level + 1;
			if (this.tally(reports)) return;
			if (Atomics.load(control, STOP) !== 0) {
				this.stoppedBy = "max-seconds";
				return;
			}
			if (Atomics.load(control, FULL) !== 0) {
				this.stoppedBy = this.fullReason;
				return;
			}
			this.branching = (count - end) / frontier;
			start = end;
			end = count;
		}
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

	private currentProgress(): Progress {
		const count = this.store.count;
		let transitions = 0;
		for (const t of this.progress) transitions += t;
		const cursor = Math.min(Atomics.load(this.control, CURSOR), this.frontierEnd);
		return {
			states: count,
			transitions,
			depth: count > this.frontierEnd ? this.depth + 1 : this.depth,
			frontier: Math.max(0, count - cursor),
			seconds: (performance.now() - this.cfg.startTime) / 1000,
		};
	}
}
