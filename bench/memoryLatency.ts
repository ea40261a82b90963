/**
 * The machine's cost of a random read from a table as large as a big visited set, so that the
 * exploration figures of a run can be read against the machine they were measured on. Two
 * figures, medians of a few repetitions in this process:
 * - dependent: each read's address comes from the previous read (a chain through every cache line
 *   in one random cycle) — the latency a lookup pays when it misses every cache and the TLB;
 * - independent: addresses known in advance, so the misses overlap in the memory system.
 * An explicit-state checker's lookups sit between the two: each is one dependent miss, but
 * successive lookups are independent of one another.
 */
import { median } from './median.ts';

export interface MemoryLatency {
  readonly megabytes: number;
  /** Nanoseconds per read in a dependent chain. */
  readonly dependentNs: number;
  /** Nanoseconds per read with independent addresses. */
  readonly independentNs: number;
  readonly reads: number;
  readonly repetitions: number;
  /** Of the values read (returned so that no read can be optimized away). */
  readonly checksum: number;
}

const INTS_PER_LINE = 16; // 64-byte cache lines of int32
const WARM_UP_CALLS = 50;
const WARM_UP_READS = 1 << 12;

/** xorshift32: a fixed sequence, the same on every run. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** `next[i]`: the line after line i in one random cycle through all `lines` lines (Sattolo's shuffle). */
export function randomCycle(lines: number, seed = 1): Int32Array {
  const next = new Int32Array(lines);
  for (let i = 0; i < lines; i++) next[i] = i;
  const rnd = random(seed);
  for (let i = lines - 1; i > 0; i--) {
    const j = rnd() % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  return next;
}

export interface MemoryLatencyArgs {
  readonly megabytes: number;
  readonly reads: number;
  readonly repetitions: number;
}

export function measureMemoryLatency({ megabytes, reads, repetitions }: MemoryLatencyArgs): MemoryLatency {
  const lines = (megabytes << 20) / 4 / INTS_PER_LINE;
  const table = new Int32Array(lines * INTS_PER_LINE);
  const next = randomCycle(lines);
  for (let i = 0; i < lines; i++) table[i * INTS_PER_LINE] = next[i]! * INTS_PER_LINE;
  const rnd = random(2);
  const addresses = new Int32Array(reads);
  for (let i = 0; i < reads; i++) addresses[i] = (rnd() % lines) * INTS_PER_LINE;

  let sink = 0;
  const chase = (n: number): number => {
    let at = 0;
    for (let i = 0; i < n; i++) at = table[at]!;
    return at;
  };
  const scatter = (n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s ^= table[addresses[i]!]!;
    return s;
  };
  const nsPerRead = (f: (n: number) => number): number => {
    const t0 = performance.now();
    sink ^= f(reads);
    return ((performance.now() - t0) * 1e6) / reads;
  };
  // warm-up: many short calls get both loops optimized before any is timed (the independent
  // reads measured 3-4x slower in unoptimized code)
  for (let i = 0; i < WARM_UP_CALLS; i++) sink ^= chase(WARM_UP_READS) ^ scatter(WARM_UP_READS);
  const dependent: number[] = [];
  const independent: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    dependent.push(nsPerRead(chase));
    independent.push(nsPerRead(scatter));
  }
  return { megabytes, dependentNs: median(dependent), independentNs: median(independent), reads, repetitions, checksum: sink };
}

// a child process of bench/main.ts (its 512 MB table must not count in the peak RSS of the runs after it)
if (process.argv[1]?.endsWith('memoryLatency.ts')) {
  console.log(JSON.stringify(measureMemoryLatency(JSON.parse(process.argv[2]!) as MemoryLatencyArgs)));
}
