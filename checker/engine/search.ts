import { EdgeStore } from "./edgeStore.ts";
import { NO_ROOM, StateStore } from "./stateStore.ts";
import { BATCH_STATES, SuccessorBatch } from "./successorBatch.ts";
import type { Property, TransitionSystem } from "./TransitionSystem.ts";
import type { Canonicalize, Progress, SearchBounds, StopReason } from "./types.ts";

/** A safety property (`always`). */
export type SafetyProperty = Extract<Property, { kind: "always" }>;
/** A liveness property (`eventually` or `leadsTo`). */
export type LivenessProperty = Exclude<Property, { kind: "always" }>;

/** The safety properties among `properties`, in order. */
export function safetyProperties(properties: readonly Property[]): SafetyProperty[] {
	return properties.filter((p): p is SafetyProperty => p.kind === "always");
}

/** The liveness properties among `properties`, in order (their label indices). */
export function livenessProperties(properties: readonly Property[]): LivenessProperty[] {
	return properties.filter((p): p is LivenessProperty => p.kind !== "always");
}

/** Label bit stored per (state, liveness property): p holds (for `eventually`: the initial state). */
export const LABEL_P = 1;
/** Label bit stored per (state, liveness property): q holds. */
export const LABEL_Q = 2;

/** Bytes of labels per state for `properties` liveness properties: their two bits each, packed. */
export function labelBytes(properties: number): number {
	return (properties + 3) >> 2;
}

/** The label bits (LABEL_P, LABEL_Q) of liveness property `index` at state `v`, in `labels` of `stride` bytes per state. */
export function labelBits(labels: Uint8Array, stride: number, v: number, index: number): number {
	return ((labels[v * stride + (index >> 2)] as number) >>> ((index & 3) << 1)) & 3;
}

/**
 * Sets the label bits of the liveness properties at state `id`, whose labels are still zero, from
 * the system loaded with that state (for `eventually`, p marks the initial state, id 0).
 */
export function writeLabels(labels: Uint8Array, stride: number, id: number, liveness: readonly LivenessProperty[]): void {
	for (let j = 0; j < liveness.length; j++) {
		const prop = liveness[j] as LivenessProperty;
		const p = prop.kind === "eventually" ? id === 0 : prop.p();
		labels[id * stride + (j >> 2)] |= ((p ? LABEL_P : 0) | (prop.q() ? LABEL_Q : 0)) << ((j & 3) << 1);
	}
}

/** What a Search checks and within which bounds. */
export interface SearchConfig extends SearchBounds {
	readonly safety: readonly SafetyProperty[];
	/** Their p/q are evaluated on every stored state into `store.labels` (two bits each, see labelBits). */
	readonly liveness: readonly LivenessProperty[];
	readonly canonicalize: Canonicalize | null;
	/** `canonicalize` is a ThreadSymmetry's: the edges record the element it applied to each. */
	readonly recordElements: boolean;
}

/** Milliseconds between progress reports. */
export const PROGRESS_MS = 500;

/**
 * Level-synchronous BFS over a TransitionSystem. The frontier of level d is the id interval of
 * the states stored while expanding level d-1 (no queue). Checks safety properties on every newly
 * stored state and deadlock on every expanded state, and records the edges when there are
 * liveness properties. After `run()`, read the public fields.
 */
export class Search {
	readonly store: StateStore;
	/** The recorded graph (only with liveness properties). */
	readonly edges: EdgeStore | null;
	transitions = 0;
	depth = 0;
	/** Id of the state violating `violationProperty`, or -1. */
	violationId = -1;
	violationProperty: string | null = null;
	/** Set when a bound stopped the search. */
	stoppedBy: StopReason | null = null;
	/** Where each level's ids begin (levelPath.ts), the level being stored included. */
	readonly levelStarts: number[] = [0];

	private readonly sys: TransitionSystem;
	private readonly cfg: SearchConfig;
	private readonly checkBuf: Uint32Array;
	private readonly initBuf: Uint32Array;
	private readonly batch: SuccessorBatch;
	/** No more states are stored (violation pending or bound hit). */
	private halted = false;
	/** The search loop must end after the current expansion. */
	private finished = false;
	private level = 0;
	private lastProgress: number;

	private constructor(sys: TransitionSystem, cfg: SearchConfig, store: StateStore, edges: EdgeStore | null) {
		this.sys = sys;
		this.cfg = cfg;
		this.store = store;
		this.edges = edges;
		this.lastProgress = cfg.startTime;
		this.checkBuf = new Uint32Array(sys.stateWords);
		this.initBuf = new Uint32Array(sys.stateWords);
		this.batch = new SuccessorBatch(sys, cfg.canonicalize, cfg.recordElements);
	}

	/** A search ready to run, or null when the budget refuses even its first arrays. */
	static create(sys: TransitionSystem, cfg: SearchConfig): Search | null {
		const store = StateStore.create(sys.stateWords, labelBytes(cfg.liveness.length), cfg.maxStates, cfg.budget);
		if (store === null) return null;
		let edges: EdgeStore | null = null;
		if (cfg.liveness.length > 0) {
			edges = EdgeStore.create(cfg.budget, sys.actions.length, cfg.recordElements);
			if (edges === null) return null;
		}
		return new Search(sys, cfg, store, edges);
	}

	/** Runs the BFS to completion, to the first violation, or to a bound. */
	run(): void {
		const store = this.store;
		const init = this.initBuf;
		this.sys.initial(init);
		if (this.cfg.canonicalize !== null) this.cfg.canonicalize(init);
		if (store.findOrAdd(init) === NO_ROOM) {
			this.stoppedBy = store.fullReason;
			return;
		}
		this.checkNew(0, 1);
		if (this.halted) return;
		let start = 0;
		let end = 1;
		while (start < end) {
			this.levelStarts.push(end);
			for (let id = start; id < end; id += BATCH_STATES) {
				const last = Math.min(id + BATCH_STATES, end);
				this.expandBatch(id, last);
				if (this.finished) return;
				this.tick(last - 1);
			}
			// A pending safety violation is reported once its parent level has been scanned for deadlocks.
			if (this.halted) return;
			start = end;
			end = store.count;
			this.level++;
		}
		if (this.edges !== null && !this.edges.finish(store.count)) this.stoppedBy = "max-memory";
	}

	/** Expands states `from..to-1` (one batch), in order. */
	private expandBatch(from: number, to: number): void {
		const batch = this.batch;
		batch.expand(this.store, from, to);
		let j = 0;
		for (let id = from; id < to; id++) {
			const end = batch.ends[id - from] as number;
			this.expand(id, j, end);
			if (this.finished) return;
			j = end;
		}
	}

	/** Stores state `id`'s successors, the batch's `j..end-1`; checks deadlock there and the properties on the new states. */
	private expand(id: number, j: number, end: number): void {
		const store = this.store;
		const batch = this.batch;
		this.transitions += end - j;
		const before = store.count;
		const edges = this.edges;
		if (edges !== null && !this.halted && !edges.begin(id)) {
			this.stop("max-memory");
			return;
		}
		const words = this.sys.stateWords;
		const elements = batch.elements;
		for (let k = j; k < end && !this.halted; k++) {
			const action = batch.actions[k] as number;
			const r = store.findOrAddHashed(batch.words, k * words, batch.hashes[k] as number);
			if (r === NO_ROOM) {
				this.stop(store.fullReason);
				break;
			}
			if (edges !== null && !edges.add(r < 0 ? ~r : r, action, elements === null ? 0 : (elements[k] as number))) this.stop("max-memory");
		}
		if (end === j && this.cfg.checkDeadlock && !batch.isFinal(store, id)) {
			this.violationId = id;
			this.violationProperty = "deadlock";
			this.stoppedBy = null;
			this.halted = true;
			this.finished = true;
			return;
		}
		const after = store.count;
		if (after > before) {
			this.depth = this.level + 1;
			this.checkNew(before, after);
		}
	}

	/** Evaluates the properties on the newly stored states `from..to-1`. */
	private checkNew(from: number, to: number): void {
		const safety = this.cfg.safety;
		const liveness = this.cfg.liveness;
		if (safety.length === 0 && liveness.length === 0) return;
		const store = this.store;
		const sys = this.sys;
		const buf = this.checkBuf;
		const stride = store.labelStride;
		for (let id = from; id < to; id++) {
			store.load(id, buf);
			sys.load(buf);
			for (let i = 0; i < safety.length; i++) {
				const prop = safety[i] as SafetyProperty;
				if (!prop.holds()) {
					this.violation(id, prop.name);
					return;
				}
			}
			writeLabels(store.labels, stride, id, liveness);
		}
	}

	/** Records a safety violation; with deadlock checking, the current level is still scanned (a deadlock there is shorter). */
	private violation(id: number, name: string): void {
		this.violationId = id;
		this.violationProperty = name;
		this.stoppedBy = null;
		this.halted = true;
		if (!this.cfg.checkDeadlock) this.finished = true;
	}

	private stop(reason: StopReason): void {
		if (this.violationId < 0 && this.stoppedBy === null) this.stoppedBy = reason;
		this.halted = true;
		this.finished = true;
	}

	private tick(id: number): void {
		const now = performance.now();
		if (now > this.cfg.deadline) this.stop("max-seconds");
		const onProgress = this.cfg.onProgress;
		if (onProgress !== null && now - this.lastProgress >= PROGRESS_MS) {
			this.lastProgress = now;
			onProgress(this.progress(id, now));
		}
	}

	private progress(id: number, now: number): Progress {
		return {
			states: this.store.count,
			transitions: this.transitions,
			depth: this.depth,
			frontier: this.store.count - id - 1,
			seconds: (now - this.cfg.startTime) / 1000,
		};
	}
}
