// Entry of an exploreParallel worker thread. Node 20 cannot run TypeScript, and a worker's
// `execArgv: ['--import', 'tsx']` does not apply to the worker's own entry module (measured:
// ERR_UNKNOWN_FILE_EXTENSION), so the entry registers tsx's loader itself, as cli/kvmcheck.mjs does.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
