/**
 * Random schedules: a swarm (the threads that take part) and a sequence of bursts.
 *
 * A burst runs one thread of the swarm for up to `steps` steps; at each step `pick` and the step
 * number choose among the thread's enabled actions (runner.ts). In a burst that `loops`, steps
 * that leave the thread at the same control state do not count: it runs through a loop at one
 * program point (a requester visiting every vCPU) at once. Bursts, rather than one independent
 * choice per step, let one thread run a long protocol (a requester visiting 64 vCPUs) while
 * another sits still; the swarm (swarm testing: a random subset of the threads per run)
 * keeps the other threads out of the way, so a run at 64 vCPUs often involves only a few of them.
 * Shrinking drops bursts, shortens them and shrinks the swarm, so a counterexample comes out with
 * few steps and few threads.
 */
import fc from 'fast-check';

export interface Burst {
  /** Index into the swarm (modulo its size). */
  readonly thread: number;
  readonly steps: number;
  readonly pick: number;
  /** Steps that stay at the thread's control state are not counted in `steps`. */
  readonly loops: boolean;
}

export interface Schedule {
  /**
   * How many threads of each thread kind take part (in the order of `ThreadKinds.kinds`): a code
   * `x` means none for 0, else floor(2^((x-1) / RESOLUTION)) of them (all at most).
   */
  readonly swarm: readonly number[];
  /** Which threads of each kind: the first ones in an order hashed from this seed. */
  readonly swarmSeed: number;
  readonly bursts: readonly Burst[];
}

/** Swarm sizes and burst lengths are log-uniform, in steps of 2^(1/RESOLUTION). */
const RESOLUTION = 8;

/** The shape of random schedules. */
export interface ScheduleShape {
  /** Number of threads of each thread kind. */
  readonly kindSizes: readonly number[];
  /** Steps per burst at most. */
  readonly maxBurst: number;
  /** Bursts per schedule at most. */
  readonly maxBursts: number;
}

/** Codes of a log-uniform integer in 1..max (code x: floor(2^(x / RESOLUTION))), shrinking towards 1. */
const logCodes = (max: number): fc.Arbitrary<number> => fc.noBias(fc.integer({ min: 0, max: Math.ceil(RESOLUTION * Math.log2(max)) }));
const fromLogCode = (x: number, max: number): number => Math.min(max, Math.floor(2 ** (x / RESOLUTION)));

/**
 * Schedules of 1..maxBursts bursts (uniformly many). Per thread kind, the swarm takes a
 * log-uniform number of its threads (or none), so that a kind of 2 threads takes part as often as
 * a kind of 64, and small swarms are common. Thread indices and picks are uniform (fast-check's
 * bias towards small numbers would keep most bursts on a few threads).
 */
export function scheduleArbitrary(shape: ScheduleShape): fc.Arbitrary<Schedule> {
  const steps = logCodes(shape.maxBurst).map((x) => fromLogCode(x, shape.maxBurst));
  const maxSwarm = shape.kindSizes.reduce((a, b) => a + b, 0);
  const burst = fc.record({ thread: fc.noBias(fc.nat({ max: maxSwarm - 1 })), steps, pick: fc.noBias(fc.nat({ max: 0xffff })), loops: fc.boolean() });
  return fc.record({
    swarm: fc.tuple(...shape.kindSizes.map((n) => fc.noBias(fc.integer({ min: 0, max: Math.ceil(RESOLUTION * Math.log2(n)) + 1 })))),
    swarmSeed: fc.noBias(fc.nat({ max: 0xffff })),
    bursts: fc.array(burst, { minLength: 1, maxLength: shape.maxBursts, size: 'max' }),
  });
}

/** A 32-bit mix of two integers (murmur3's finalizer). */
export function mix(a: number, b: number): number {
  let h = Math.imul(a ^ Math.imul(b + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The swarm of a schedule: thread indices in increasing order (bursts index into it). `kindOfThread`
 * gives each thread's kind. An empty swarm (every count 0) means every thread.
 */
export function swarmOf(schedule: Schedule, kindOfThread: ArrayLike<number>): number[] {
  const byKind = new Map<number, number[]>();
  for (let t = 0; t < kindOfThread.length; t++) {
    const k = kindOfThread[t]!;
    if (!byKind.has(k)) byKind.set(k, []);
    byKind.get(k)!.push(t);
  }
  const swarm: number[] = [];
  for (const [k, members] of byKind) {
    const x = schedule.swarm[k] ?? 0;
    if (x === 0) continue;
    const ranked = members.slice().sort((a, b) => mix(schedule.swarmSeed, a) - mix(schedule.swarmSeed, b) || a - b);
    swarm.push(...ranked.slice(0, fromLogCode(x - 1, members.length)));
  }
  return swarm.length === 0 ? Array.from({ length: kindOfThread.length }, (_, t) => t) : swarm.sort((a, b) => a - b);
}
