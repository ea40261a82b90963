/**
 * Memory models for checked machines. `sc` (sequential consistency): every step is one atomic
 * step on memory, the compiled system as it is. `tso` (x86-TSO): per-thread store buffers
 * (tso.ts). `arm64-like`: the same store buffers, plus set_bit and a failed cmpxchg ordering
 * nothing, as on arm64 (not a model of ARMv8 as a whole: stores stay FIFO, loads in order). Models declare their shared variables and per-step accesses once
 * (checker/xstate/conventions.ts); the same machine runs under every memory model.
 */
import type { AnyStateMachine } from 'xstate';
import type { Canonicalize } from '../engine/index.ts';
import { type CompiledSystem, type MachineSystem, symmetryCanonicalizer } from '../xstate/index.ts';
import { storeBufferCanonicalizer } from './bufferSymmetry.ts';
import { hasStoreBuffers, withStoreBuffers } from './tso.ts';

export type MemoryModel = 'sc' | 'tso' | 'arm64-like';
export const MEMORY_MODELS: readonly MemoryModel[] = ['sc', 'tso', 'arm64-like'];

export { storeBufferCanonicalizer } from './bufferSymmetry.ts';
export { appendDrains } from './drainTail.ts';
export { DEFAULT_BUFFER_SIZE, hasStoreBuffers, type StoreBufferOptions, type StoreBufferSystem, sharedVariables, withStoreBuffers } from './tso.ts';

/** The machine's compiled system under `model`. */
export function applyMemoryModel(machine: AnyStateMachine, compiled: CompiledSystem, model: MemoryModel): MachineSystem {
  return model === 'sc' ? compiled : withStoreBuffers(machine, compiled, { weakAtomics: model === 'arm64-like' });
}

/** The symmetry reduction of `system` (the machine's symmetric groups; with store buffers, permuted along), or null without symmetric groups. */
export function symmetryReduction(system: MachineSystem): Canonicalize | null {
  return hasStoreBuffers(system) ? storeBufferCanonicalizer(system) : symmetryCanonicalizer(system.layout);
}
