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

/** One row per (configuration, symmetry); `run` explores one (bench/main.ts passes its child-process runner). */
export function livenessRows(maxSeconds: number, run: (args: RunOneArgs) => RunOneResult = runOne): LivenessRow[] {
  const rows: LivenessRow[] = [];
  for (const [vcpus, requesters, symmetries] of [
    [2, 2, [true, false]],
    [3, 2, [true]],
  ] as const) {
    for (const symmetry of symmetries) {
      const r = run({ spec: 'guest-mode', variant: 'kernel', vcpus, requesters, options: { properties: 'all', memoryModel: 'sc', symmetry, maxSeconds } });
      rows.push({ ...r, config: `${vcpus}x${requesters}`, symmetry });
    }
  }
  return rows;
}
