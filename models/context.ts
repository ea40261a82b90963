/**
 * The shared memory of the KVM model (the machine's context) and immutable update helpers.
 * Arrays are indexed by vCPU (`v`) and requester (`r`) so that permuting threads permutes columns.
 */
export interface KvmContext {
  /** vcpu->mode, per vCPU (kvm_host.h enum). */
  readonly mode: readonly number[];
  /** vcpu->requests, per vCPU (bit set of KVM_REQ_*). */
  readonly requests: readonly number[];
  /** model_ipi[r][v]: requester r's IPI bookkeeping for vCPU v (IPI_* in kvm_host.ts). */
  readonly model_ipi: readonly (readonly number[])[];
  /**
   * model_retired[r][v]: the resource vCPU v last loaded has since been replaced by requester r,
   * who will free it after its WAIT request (the consumer of guest-mode).
   */
  readonly model_retired: readonly (readonly boolean[])[];
  /**
   * kvm->mmu_lock, only in models that take it (the walk-takes-mmu-lock mutant): held by
   * requester r (model_mmu_lock_requester[r]) or by vCPU v (model_mmu_lock_vcpu[v]).
   */
  readonly model_mmu_lock_requester?: readonly boolean[];
  readonly model_mmu_lock_vcpu?: readonly boolean[];
}

/** kvm->mmu_lock is free (models without the lock: always). */
export function mmuLockFree(ctx: KvmContext): boolean {
  return !(ctx.model_mmu_lock_requester?.includes(true) || ctx.model_mmu_lock_vcpu?.includes(true));
}

export function setAt<T>(row: readonly T[], i: number, x: T): T[] {
  const copy = row.slice();
  copy[i] = x;
  return copy;
}

export function setAt2<T>(m: readonly (readonly T[])[], r: number, v: number, x: T): T[][] {
  return m.map((row, i) => (i === r ? setAt(row, v, x) : (row as T[])));
}

/** Maps every element of row r. */
export function mapRow<T>(m: readonly (readonly T[])[], r: number, f: (x: T, v: number) => T): T[][] {
  return m.map((row, i) => (i === r ? row.map(f) : (row as T[])));
}

/** Maps column v (every requester's entry for vCPU v). */
export function mapColumn<T>(m: readonly (readonly T[])[], v: number, f: (x: T, r: number) => T): T[][] {
  return m.map((row, r) => setAt(row, v, f(row[v]!, r)));
}
