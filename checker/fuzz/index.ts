/** The fuzzer's public API: random schedules over a StepSystem, shrunk counterexamples, coverage. */
export type { CoverageReport } from './coverage.ts';
export { type FuzzOptions, type FuzzResult, type FuzzViolation, fuzz } from './fuzz.ts';
export { incrementalChecks, type SafetyPredicate } from './incrementalChecks.ts';
export { type ActionKinds, actionKinds, type ThreadKinds, threadKind, threadKinds } from './kinds.ts';
export { DEADLOCK, type RunOutcome, type SafetyCheck, ScheduleRunner } from './runner.ts';
export { type Burst, type Schedule, type ScheduleShape, scheduleArbitrary, swarmOf } from './schedule.ts';
export { type StepSystem, stepSystem } from './StepSystem.ts';
