/** The fuzzer's public API: random schedules over a StepSystem, shrunk counterexamples, coverage. */
export type { CoverageReport } from './coverage.ts';
export { type FuzzOptions, type FuzzResult, type FuzzViolation, fuzz } from './fuzz.ts';
export { type ActionKinds, actionKinds, threadKind } from './kinds.ts';
export { type Burst, DEADLOCK, type SafetyCheck, ScheduleRunner, scheduleArbitrary, type ScheduleShape } from './schedule.ts';
export { type StepSystem, stepSystem } from './StepSystem.ts';
