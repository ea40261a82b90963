import { Worker } from "node:worker_threads";
import type { FromWorker, LevelReport, ReadyMessage, ToWorker, WorkerInit } from "./control.ts";

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
	private readonly workers: Worker[];
	private readonly inboxes: Inbox[];
	private closed = false;

	/** A pool of `size` workers: the idle one if it has that size, else a new one. */
	static acquire(size: number): WorkerPool {
		const idle = WorkerPool.idle;
		WorkerPool.idle = null;
		if (idle !== null && idle.size === size && !idle.broken) {
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

	/** Has worker i build the system of `inits[i]`; waits until each is ready. */
	async init(inits: readonly WorkerInit[]): Promise<ReadyMessage[]> {
		this.workers.forEach((w, i) => {
			w.postMessage({ type: "init", init: inits[i] } satisfies ToWorker);
		});
		return (await Promise.all(this.workers.map((_, i) => this.next(i, "ready")))) as ReadyMessage[];
	}

	/** Sends `msg` to workers `indices` and waits for each one's report. */
	async exchange(indices: readonly number[], msg: ToWorker): Promise<LevelReport[]> {
		for (const i of indices) (this.workers[i] as Worker).postMessage(msg);
		return (await Promise.all(indices.map((i) => this.next(i, "report")))) as LevelReport[];
	}

	private async next(i: number, type: FromWorker["type"]): Promise<FromWorker> {
		const m = await (this.inboxes[i] as Inbox).next();
		if (m.type !== type) throw new Error(`exploreParallel: worker ${i} sent '${m.type}', expected '${type}'`);
		return m;
	}

	/**
	 * Ends the caller's use of the pool. `reusable`: every worker answered everything asked of it
	 * and is idle, so the pool is kept for the next run; otherwise its workers are terminated.
	 */
	async release(reusable: boolean): Promise<void> {
		if (!reusable || this.broken || WorkerPool.idle !== null) {
			await this.close();
			return;
		}
		for (const w of this.workers) {
			w.postMessage({ type: "end" } satisfies ToWorker);
			w.unref();
		}
		WorkerPool.idle = this;
	}

	private async close(): Promise<void> {
		this.closed = true;
		await Promise.all(this.workers.map((w) => w.terminate()));
	}
}
