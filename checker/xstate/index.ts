export { type CompiledSystem, compileMachine, type MachineSystem, type StateView, type StepInfo } from './compile.ts';
export { ConventionError, type MemoryAccess, type ModelMeta, type VarDomain } from './conventions.ts';
export { interpretMachine } from './interpret.ts';
export { allOf, always, bindProperties, conjunctsOf, eventually, isLiveness, leadsTo, type ViewPredicate, type ViewProperty } from './properties.ts';
export { type FieldPermutation, symmetryCanonicalizer, symmetryGroup } from './symmetry.ts';
export { fieldImageTerms, leastImageFunction, threadSymmetry } from './leastImage.ts';
