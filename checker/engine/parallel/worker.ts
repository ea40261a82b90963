/**
 * A worker thread of exploreParallel. For each run it rebuilds the system from the run's factory
 * and says it is ready; then it runs each level (or resumes it after a pause) as the coordinator
 * asks, answering with a report. Idle between runs (WorkerPool keeps it for the next one).
 */
import { parentPort } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./control.ts";
import { loadFactory } from "./factory.ts";
import { LevelWorker } from "./LevelWorker.ts";

const port = parentPort;
if (port === null) throw new Error("exploreParallel: worker.ts must run in a worker thread");
const answer = (m: FromWorker): void => port.postMessage(m);
let run: LevelWorker | null = null;

port.on("message", async (msg: ToWorker) => {
	if (msg.type === "init") {
		run = null;
		const bundle = await loadFactory(msg.init.factory);
		run = new LevelWorker(bundle, msg.init);
		answer({ type: "ready", stateWords: bundle.system.stateWords, actions: bundle.system.actions.length });
		return;
	}
	if (msg.type === "end") {
		run = null;
		return;
	}
	if (run === null) throw new Error(`exploreParallel: worker got '${msg.type}' before 'init'`);
	answer(msg.type === "level" ? run.level(msg) : run.resume(msg.buffers));
});
