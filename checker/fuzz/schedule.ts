/**
 * Random schedules: a swarm (the threads that take part) and a sequence of bursts.
 *
 * A burst runs one thread of the swarm for up to `steps` steps; at each step `pick` and the step
 * number choose among the thread's enabled actions (runner.ts). Bursts, rather than one
 * independent choice per step, let one thread run a long protocol (a requester visiting 64 vCPUs)
 * while another sits still; the swarm (swarm testing: a random subset of the threads per run)
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
}

export interface Schedule {
  /** The swarm has floor(2^(swarmSize / RESOLUTION)) threads (all of them at most). */
  readonly swarmSize: number;
  /** Which threads: the first ones in an order hashed from this seed. */
  readonly swarmSeed: number;
  readonly bursts: readonly Burst[];
}

/** Swarm sizes and burst lengths are log-uniform, in steps of 2^(1/RESOLUTION). */
const RESOLUTION = 8;

/** The shape of random schedules. */
export interface ScheduleShape {
  readonly threads: number;
  /** Steps per burst at most. */
  readonly maxBurst: number;
  /** Bursts per schedule at most. */
  readonly maxBursts: number;
}

/** A log-uniform integer in 1..max, shrinking towards 1. */
function logUniform(max: number): fc.Arbitrary<number> {
  const top = Math.ceil(RESOLUTION * Math.log2(max));
  return fc.noBias(fc.integer({ min: 0, max: top })).map((x) => Math.min(max, Math.floor(2 ** (x / RESOLUTION))));
}

/**
 * Schedules of 1..maxBursts bursts (uniformly many). Thread indices and picks are uniform
 * (fast-check's bias towards small numbers would keep most bursts on a few threads).
 */
export function scheduleArbitrary(shape: ScheduleShape): fc.Arbitrary<Schedule> {
  const burst = fc.record({ thread: fc.noBias(fc.nat({ max: shape.threads - 1 })), steps: logUniform(shape.maxBurst), pick: fc.noBias(fc.nat()) });
  return fc.record({
    swarmSize: logUniform(shape.threads),
    swarmSeed: fc.noBias(fc.nat()),
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

/** The swarm of a schedule over `threads` threads: thread indices, in the order bursts index them. */
export function swarmOf(schedule: Schedule, threads: number): number[] {
  const order = Array.from({ length: threads }, (_, t) => t).sort((a, b) => mix(schedule.swarmSeed, a) - mix(schedule.swarmSeed, b) || a - b);
  return order.slice(0, Math.min(threads, Math.max(1, schedule.swarmSize)));
}
