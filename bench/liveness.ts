/**
 * Liveness under weak fairness per thread with and without symmetry reduction (the annotated
 * quotient, checker/engine/liveness.ts): guest-mode's kernel variant with all its properties (two
 * safety, wait-returns and request-consumed), the whole state graph kept for the fair-cycle search.
 * Without symmetry only where it can finish (2x2): 3x2 unreduced holds over 150 M states.
 */
import { type RunOneArgs, type RunOneResult, runOne } from './runOne.ts';

export interface LivenessRow extends RunOneResult {
  readonly config: string;
  readonly symmetry: boolean;
}

/**
 * One row per (configuration, symmetry, threads): 1 thread, and 2 where the search is long enough
 * for a worker thread to pay for its loading; `run` explores one (bench/main.ts passes its
 * child-process runner).
 */
export function livenessRows(maxSeconds: number, run: (args: RunOneArgs) => RunOneResult = runOne): LivenessRow[] {
  const rows: LivenessRow[] = [];
  for (const [vcpus, requesters, symmetry, workers] of [
    [2, 2, true, 1],
    [2, 2, false, 1],
    [2, 2, false, 2],
    [3, 2, true, 1],
    [3, 2, true, 2],
  ] as const) {
    const r = run({ spec: 'guest-mode', variant: 'kernel', vcpus, requesters, workers, options: { properties: 'all', memoryModel: 'sc', symmetry, maxSeconds } });
    rows.push({ ...r, config: `${vcpus}x${requesters}`, symmetry });
  }
  return rows;
}
