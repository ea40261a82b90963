/**
 * Memory models for checked machines. `sc` (sequential consistency): every step is one atomic
 * step on memory, the compiled system as it is. `tso` (x86-TSO): per-thread store buffers
 * (tso.ts). Models declare their shared variables and per-step accesses once
 * (checker/xstate/conventions.ts); the same machine runs under every memory model.
 */
import type { AnyStateMachine } from 'xstate';
import type { CompiledSystem, MachineSystem } from '../xstate/index.ts';
import { withStoreBuffers } from './tso.ts';

export type MemoryModel = 'sc' | 'tso';
export const MEMORY_MODELS: readonly MemoryModel[] = ['sc', 'tso'];

export { appendDrains } from './drainTail.ts';
export { DEFAULT_BUFFER_SIZE, hasStoreBuffers, type StoreBufferSystem, sharedVariables, withStoreBuffers } from './tso.ts';

/** The machine's compiled system under `model`. */
export function applyMemoryModel(machine: AnyStateMachine, compiled: CompiledSystem, model: MemoryModel): MachineSystem {
  return model === 'sc' ? compiled : withStoreBuffers(machine, compiled);
}
