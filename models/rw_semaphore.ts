/**
 * A reader-writer semaphore (include/linux/rwsem.h, kernel/locking/rwsem.c) as two shared
 * variables per semaphore: how many readers hold it, and where its (single) writer stands.
 * down_write() is two steps: the writer queues (setting RWSEM_FLAG_WAITERS), then takes the lock
 * once the last reader is gone. A queued writer blocks new readers: rwsem_down_read_slowpath()
 * does not steal a reader-owned lock past a waiter ("To prevent a constant stream of readers from
 * starving a sleeping waiter").
 */
import { setAt } from './context.ts';

/** The writer side of one semaphore. */
export const RWSEM_NO_WRITER = 0;
export const RWSEM_WRITER_WAITING = 1;
export const RWSEM_WRITER_LOCKED = 2;
export const RWSEM_WRITER_NAMES = ['none', 'waiting', 'locked'] as const;

/** The shared variables, indexed by semaphore. */
export interface RwSemaphores {
  readonly memory_transaction_readers: readonly number[];
  readonly memory_transaction_writer: readonly number[];
}


/** down_read() can take semaphore `s` now. */
export const canDownRead = (ctx: RwSemaphores, s: number): boolean => ctx.memory_transaction_writer[s] === RWSEM_NO_WRITER;

export const downRead = (ctx: RwSemaphores, s: number): Partial<RwSemaphores> => ({
  memory_transaction_readers: setAt(ctx.memory_transaction_readers, s, ctx.memory_transaction_readers[s]! + 1),
});

export const upRead = (ctx: RwSemaphores, s: number): Partial<RwSemaphores> => ({
  memory_transaction_readers: setAt(ctx.memory_transaction_readers, s, ctx.memory_transaction_readers[s]! - 1),
});

/** down_write(), first step: queue behind the readers. */
export const downWriteQueue = (ctx: RwSemaphores, s: number): Partial<RwSemaphores> => ({
  memory_transaction_writer: setAt(ctx.memory_transaction_writer, s, RWSEM_WRITER_WAITING),
});

/** down_write(), second step: possible once no reader holds the semaphore. */
export const canDownWrite = (ctx: RwSemaphores, s: number): boolean => ctx.memory_transaction_readers[s] === 0;

export const downWriteAcquire = (ctx: RwSemaphores, s: number): Partial<RwSemaphores> => ({
  memory_transaction_writer: setAt(ctx.memory_transaction_writer, s, RWSEM_WRITER_LOCKED),
});

export const upWrite = (ctx: RwSemaphores, s: number): Partial<RwSemaphores> => ({
  memory_transaction_writer: setAt(ctx.memory_transaction_writer, s, RWSEM_NO_WRITER),
});
