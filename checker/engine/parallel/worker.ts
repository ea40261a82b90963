/**
 * A worker thread of exploreParallel. For each run it rebuilds the system from the run's factory,
 * sets its READY word and says it is ready; then it runs each level (or resumes it after a pause)
 * as the coordinator asks, answering with a report. Messages are handled one at a time, in order
 * (building a system awaits the factory's import). Idle between runs (WorkerPool keeps it).
 */
import { parentPort } from "node:worker_threads";
import { freeDroppedArrays } from "../memory.ts";
import { type FromWorker, READY, type ToWorker } from "./control.ts";
import { loadFactory } from "./factory.ts";
import { LevelWorker } from "./LevelWorker.ts";

const port = parentPort;
if (port === null) throw new Error("exploreParallel: worker.ts must run in a worker thread");
const answer = (m: FromWorker): void => port.postMessage(m);
let run: LevelWorker | null = null;
let queue: Promise<void> = Promise.resolve();

async function handle(msg: ToWorker): Promise<void> {
	if (msg.type === "init") {
		run = null;
		const bundle = await loadFactory(msg.init.factory);
		run = new LevelWorker(bundle, msg.init);
		Atomics.store(new Int32Array(msg.init.control), READY + msg.init.index, 1);
		answer({ type: "ready", run: msg.run, ...run.shape });
		return;
	}
	if (msg.type === "end") {
		// the run's shared arrays go back to the system only once every thread that saw them has collected them
		run = null;
		freeDroppedArrays(msg.bytes);
		return;
	}
	if (run === null) throw new Error(`exploreParallel: worker got '${msg.type}' before 'init'`);
	answer(msg.type === "level" ? run.level(msg) : run.resume(msg.buffers, msg.log));
}

port.on("message", (msg: ToWorker) => {
	queue = queue.then(() => handle(msg));
});
