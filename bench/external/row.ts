/** One run of an external checker on guest-mode, as bench/external.ts reports it. */

export type ExternalChecker = 'spin' | 'rumur';
/** `off`, or Rumur's symmetry reduction (heuristic: sort-based, not canonical; exhaustive: canonical). */
export type ExternalSymmetry = 'off' | 'heuristic' | 'exhaustive';
/**
 * Over the two safety properties (no-missed-request, no-missed-wait) and deadlock (a state with no
 * step, as kvmcheck: the property is then `deadlock`). `incomplete`: a bound
 * stopped the run; `error`: the build or the verifier failed; `not installed`: see `note`.
 */
export type ExternalVerdict = 'holds' | 'violated' | 'incomplete' | 'error' | 'not installed';

export interface ExternalConfig {
  readonly vcpus: number;
  readonly requesters: number;
  /** A guest-mode variant (default `kernel`). */
  readonly variant?: string;
}

export interface ExternalRow {
  readonly checker: ExternalChecker;
  readonly variant: string;
  readonly vcpus: number;
  readonly requesters: number;
  readonly symmetry: ExternalSymmetry;
  /** Distinct states stored (null when the tool printed none). */
  readonly states: number | null;
  /** Transitions taken (Spin: stored + matched - 1; Rumur: rules fired). */
  readonly transitions: number | null;
  /** Wall seconds of the verifier run (generation and compilation excluded: see buildSeconds). */
  readonly seconds: number | null;
  readonly cpuSeconds: number | null;
  readonly statesPerSecond: number | null;
  /** Peak RSS of the verifier (GNU time), else the tool's own memory report. */
  readonly peakMemoryMB: number | null;
  readonly buildSeconds: number | null;
  readonly verdict: ExternalVerdict;
  /** The violated property, if any. */
  readonly property: string | null;
  /** How it was run (flags), or why it is incomplete, or how to install the tool. */
  readonly note: string;
}

export interface ExternalOptions {
  /** Bound per verifier run, seconds (default 300). */
  readonly maxSeconds?: number;
  /** Memory bound per verifier run, MiB (default 8192). */
  readonly maxMemoryMB?: number;
  /** Rumur symmetry modes to run (default all three: exhaustive, heuristic, off). */
  readonly rumurSymmetry?: readonly ExternalSymmetry[];
  /** Rumur verifier threads (default 1, like a single kvmcheck worker). */
  readonly rumurThreads?: number;
  /** Spin's hash table size, log2 slots (default: from the configuration, see spin.ts). */
  readonly spinHashBits?: number;
  /** Compile the verifiers with -O0 (for tests: on small configurations the build dominates). */
  readonly fastBuild?: boolean;
  /** Called with each row as soon as it is measured. */
  readonly onRow?: (row: ExternalRow) => void;
}

/** A row with no figures (tool missing, build failed). */
export function emptyRow(base: Pick<ExternalRow, 'checker' | 'variant' | 'vcpus' | 'requesters' | 'symmetry'>, verdict: ExternalVerdict, note: string): ExternalRow {
  return {
    ...base,
    states: null,
    transitions: null,
    seconds: null,
    cpuSeconds: null,
    statesPerSecond: null,
    peakMemoryMB: null,
    buildSeconds: null,
    verdict,
    property: null,
    note,
  };
}
