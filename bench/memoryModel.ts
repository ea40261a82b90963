/**
 * State-space growth from sequential consistency to TSO store buffers (checker/memory/) on
 * guest-mode's kernel variant, safety only: the growth compares both without symmetry reduction;
 * the runs with symmetry (under tso the buffers permute with their threads, bufferSymmetry.ts)
 * are given alongside. Each run has a time bound; a bounded run is reported with its partial
 * figures and `complete: false`.
 */
import type { RunOptions } from '../cli/runSpec.ts';
import { runOne, type RunOneArgs, type RunOneResult } from './runOne.ts';

export interface MemoryModelRow {
  readonly config: string;
  readonly scSymmetryStates: number;
  readonly scStates: number;
  readonly tsoStates: number;
  readonly tsoTransitions: number;
  readonly tsoSymmetryStates: number;
  /** tsoStates / scStates (both without symmetry reduction). */
  readonly growth: number;
  readonly scSeconds: number;
  readonly tsoSeconds: number;
  readonly tsoSymmetrySeconds: number;
  /** Every run of the row finished within the bound. */
  readonly complete: boolean;
}

/** The configurations measured: 2 and 3 vCPUs. */
export const MEMORY_MODEL_CONFIGS: readonly { readonly vcpus: number; readonly requesters: number }[] = [
  { vcpus: 2, requesters: 1 },
  { vcpus: 2, requesters: 2 },
  { vcpus: 3, requesters: 1 },
  { vcpus: 3, requesters: 2 },
];

/**
 * One row per configuration. `run` explores one configuration (bench/main.ts may pass its
 * child-process runner; default: in this process).
 */
export function memoryModelRows(maxSeconds: number, run: (args: RunOneArgs) => RunOneResult = runOne): MemoryModelRow[] {
  return MEMORY_MODEL_CONFIGS.map(({ vcpus, requesters }) => {
    const go = (options: RunOptions): RunOneResult => run({ spec: 'guest-mode', variant: 'kernel', vcpus, requesters, options: { properties: 'safety', maxSeconds, ...options } });
    const scSym = go({ memoryModel: 'sc', symmetry: true });
    const sc = go({ memoryModel: 'sc', symmetry: false });
    const tso = go({ memoryModel: 'tso', symmetry: false });
    const tsoSym = go({ memoryModel: 'tso', symmetry: true });
    return {
      config: `${vcpus}x${requesters}`,
      scSymmetryStates: scSym.states,
      scStates: sc.states,
      tsoStates: tso.states,
      tsoTransitions: tso.transitions,
      tsoSymmetryStates: tsoSym.states,
      growth: tso.states / sc.states,
      scSeconds: sc.seconds,
      tsoSeconds: tso.seconds,
      tsoSymmetrySeconds: tsoSym.seconds,
      complete: [scSym, sc, tso, tsoSym].every((r) => r.stoppedBy === null),
    };
  });
}
