import { Worker } from "node:worker_threads";
import type { FromWorker, LevelMessage, LevelReport, ReadyMessage, ResumeMessage, ToWorker, WorkerInit } from "./control.ts";

const ENTRY = new URL("./worker.mjs", import.meta.url);

/** The messages of one worker, in order; fails every wait once the worker failed. */
class Inbox {
	private readonly queue: FromWorker[] = [];
	private waiter: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
	private failure: Error | null = null;

	push(m: FromWorker): void {
		const w = this.waiter;
		this.waiter = null;
		if (w !== null) w.resolve(m);
		else this.queue.push(m);
	}

	fail(e: Error): void {
		this.failure ??= e;
		const w = this.waiter;
		this.waiter = null;
		w?.reject(e);
	}

	get failed(): boolean {
		return this.failure !== null;
	}

	next(): Promise<FromWorker> {
		const m = this.queue.shift();
		if (m !== undefined) return Promise.resolve(m);
		if (this.failure !== null) return Promise.reject(this.failure);
		return new Promise((resolve, reject) => {
			this.waiter = { resolve, reject };
		});
	}
}

/**
 * Worker threads for exploreParallel runs. Starting a worker costs about a second (it loads tsx
 * and the factory's modules), so a released pool is kept, unreferenced (it does not keep the
 * process alive), and handed to the next run that asks for as many workers.
 */
export class WorkerPool {
	/** The released pool waiting for the next run. */
	private static idle: WorkerPool | null = null;

	readonly size: number;
	/** The pool served an earlier run (its workers have loaded, or are loading, the modules). */
	reused = false;
	private readonly workers: Worker[];
	private readonly inboxes: Inbox[];
	private closed = false;
	/** Number of the current run (see InitMessage). */
	private run = 0;

	/** Whether `acquire(size)` would hand out a released pool (whose workers need no loading). */
	static hasIdle(size: number): boolean {
		return WorkerPool.serves(WorkerPool.idle, size);
	}

	/** `pool` is a working pool of `size` workers. */
	private static serves(pool: WorkerPool | null, size: number): boolean {
		return pool !== null && pool.size === size && !pool.broken;
	}

	/** A pool of `size` workers: the idle one if it has that size, else a new one. */
	static acquire(size: number): WorkerPool {
		const idle = WorkerPool.idle;
		WorkerPool.idle = null;
		if (idle !== null && WorkerPool.serves(idle, size)) {
			idle.reused = true;
			for (const w of idle.workers) w.ref();
			return idle;
		}
		void idle?.close();
		return new WorkerPool(size);
	}

	private constructor(size: number) {
		this.size = size;
		this.inboxes = Array.from({ length: size }, () => new Inbox());
		this.workers = this.inboxes.map((inbox, i) => {
			const w = new Worker(ENTRY);
			w.on("message", (m: FromWorker) => inbox.push(m));
			w.on("error", (e: Error) => inbox.fail(e));
			w.on("messageerror", (e: Error) => inbox.fail(e));
			w.on("exit", (code) => {
				if (!this.closed) inbox.fail(new Error(`exploreParallel: worker ${i} exited (code ${code})`));
			});
			return w;
		});
	}

	private get broken(): boolean {
		return this.closed || this.inboxes.some((inbox) => inbox.failed);
	}

	/** Has worker i build the system of `inits[i]` (a new run); see `ready`. */
	start(inits: readonly WorkerInit[]): void {
		this.run++;
		this.workers.forEach((w, i) => {
			w.postMessage({ type: "init", run: this.run, init: inits[i] as WorkerInit } satisfies ToWorker);
		});
	}

	/** Worker i's answer to this run's init (answers to earlier runs' inits are dropped). */
	async ready(i: number): Promise<ReadyMessage> {
		for (;;) {
			const m = await this.next(i, "ready");
			if (m.type === "ready" && m.run === this.run) return m;
		}
	}

	/** Sends worker i a level or a resume; its report comes from `report`. */
	post(i: number, msg: LevelMessage | ResumeMessage): void {
		(this.workers[i] as Worker).postMessage(msg satisfies ToWorker);
	}

	async report(i: number): Promise<LevelReport> {
		return (await this.next(i, "report")) as LevelReport;
	}

	private async next(i: number, type: FromWorker["type"]): Promise<FromWorker> {
		const m = await (this.inboxes[i] as Inbox).next();
		if (m.type !== type) throw new Error(`exploreParallel: worker ${i} sent '${m.type}', expected '${type}'`);
		return m;
	}

	/**
	 * Ends the caller's use of the pool. `reusable`: every worker reported on every level or
	 * resume sent to it (it may still be building the run's system), so the pool is kept for the
	 * next run (its workers drop the run's shared arrays, `bytes` in all); otherwise its workers are
	 * terminated.
	 */
	async release(reusable: boolean, bytes: number): Promise<void> {
		if (!reusable || this.broken || WorkerPool.idle !== null) {
			await this.close();
			return;
		}
		for (const w of this.workers) {
			w.postMessage({ type: "end", bytes } satisfies ToWorker);
			w.unref();
		}
		WorkerPool.idle = this;
	}

	private async close(): Promise<void> {
		this.closed = true;
		await Promise.all(this.workers.map((w) => w.terminate()));
	}
}
