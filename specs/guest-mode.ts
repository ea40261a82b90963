/**
 * guest-mode (seeds/004, April 2017): "KVM: fix guest_mode optimization in
 * kvm_make_all_cpus_request()". May a requester that needs synchronization skip a vCPU already in
 * EXITING_GUEST_MODE? James Hogan: "if you get two of these in quick succession only the first
 * will wait for the IPI"; Radim: then "the latter caller would assume that it can proceed to
 * reuse the memory even though the guest was still using it".
 *
 * The consumer: a requester replaces the resource the guest uses (loaded at entry, also read by
 * lockless shadow-page walks), makes KVM_REQ_TLB_FLUSH (WAIT) of every vCPU, then frees the old
 * one. Other requesters make KVM_REQ_EVENT and kvm_vcpu_kick() one vCPU.
 */
import type { StateView } from '../checker/xstate/index.ts';
import { allOf, always, leadsTo, type ViewProperty } from '../checker/xstate/index.ts';
import { createKvmMachine, type KvmModelOptions, requesterName, vcpuName } from '../models/kvm.ts';
import { IPI_MASKED, IPI_MASKED_WAIT, IPI_REQUEST_SET, IPI_SENT, IPI_SENT_WAIT, KVM_REQ_EVENT } from '../models/kvm_host.ts';
import { KVM_VCPU_KICK_MASK, NO_WAIT_REQUEST_MASK, WAIT_REQUEST_RULES } from '../models/kvm_request_needs_ipi.ts';
import type { KvmContext } from '../models/context.ts';
import type { Expected, Spec, SpecConfig, Variant } from './Spec.ts';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Requester r still owes vCPU v an IPI: it has set v's request bit but not yet decided, or decided on an IPI that is not yet acknowledged. */
const owesIpi = (x: number): boolean => x === IPI_REQUEST_SET || x === IPI_MASKED || x === IPI_MASKED_WAIT || x === IPI_SENT || x === IPI_SENT_WAIT;

/**
 * vcpu-requests.rst, "Ensuring Requests Are Seen": a vCPU must not keep running the guest with a
 * request pending unless an IPI will force it out. Violated when vCPU v runs the guest with a
 * request bit set and no requester still owes it an IPI (an IPI is only acknowledged with IRQs on,
 * i.e. after the vCPU has left the guest).
 */
export const noMissedRequest = (config: SpecConfig) => {
  const vcpus = range(config.vcpus).map((v) => ({ v, name: vcpuName(v) }));
  return always(
    'no-missed-request',
    allOf(
      vcpus.map(({ v, name }) => ({ value, context }: StateView) => {
        const ctx = context as unknown as KvmContext;
        return !(value[name] === 'guest' && ctx.requests[v] !== 0 && !ctx.model_ipi.some((row) => owesIpi(row[v]!)));
      }),
    ),
  );
};

/**
 * KVM_REQUEST_WAIT's promise (reference §11.7 S-Wait): when the WAIT requester returns, no vCPU is
 * still in the guest entry or lockless walk that was live when the request was made — so the
 * freed resource is never in use. Violated when a vCPU runs the guest or reads SPTEs with a
 * resource that a requester retired and has already freed.
 */
export const noMissedWait = (config: SpecConfig, users: readonly string[] = ['guest', 'spte_read']) => {
  const vcpus = range(config.vcpus).map((v) => ({ v, name: vcpuName(v) }));
  const requesters = range(config.requesters).map((r) => ({ r, name: requesterName(r) }));
  return always(
    'no-missed-wait',
    allOf(
      vcpus.map(({ v, name }) => ({ value, context }: StateView) => {
        const ctx = context as unknown as KvmContext;
        return !users.includes(value[name]!) || requesters.every((q) => !(ctx.model_retired[q.r]![v] && value[q.name] === 'done'));
      }),
    ),
  );
};

/**
 * L-Wait-terminates (reference §11.8): a WAIT requester eventually returns — every vCPU it waits
 * for acknowledges the IPI (weak fairness per thread: a vCPU that can step eventually does).
 */
export const waitReturns = (config: SpecConfig): ViewProperty[] =>
  range(config.requesters).map((r) =>
    leadsTo(
      'wait-returns',
      ({ value }) => value[requesterName(r)] === 'smp_call_function_many',
      ({ value }) => value[requesterName(r)] === 'done',
      requesterName(r),
    ),
  );

/**
 * L-Consume (reference §11.8, §10.4): every logged request is eventually cleared by its vCPU
 * (a request bit no handler clears makes kvm_vcpu_exit_request() abort every entry forever).
 */
export const requestConsumed = (config: SpecConfig): ViewProperty[] =>
  range(config.vcpus).map((v) =>
    leadsTo(
      'request-consumed',
      ({ context }) => (context as unknown as KvmContext).requests[v] !== 0,
      ({ context }) => (context as unknown as KvmContext).requests[v] === 0,
      vcpuName(v),
    ),
  );

const HOLDS: Expected = { verdict: 'holds' };
const MISSED_REQUEST: Expected = { verdict: 'violated', property: 'no-missed-request' };

function variant(
  name: string,
  description: string,
  expected: Expected,
  options: Omit<KvmModelOptions, 'vcpus' | 'requesters'>,
  defaults?: SpecConfig,
  memory?: Pick<Variant, 'memoryModels' | 'expectedUnder'>,
): Variant {
  return {
    name,
    description,
    expected,
    ...(defaults ? { defaults } : {}),
    ...memory,
    build: (config) => ({
      machine: createKvmMachine({ ...config, ...options }),
      properties: [noMissedRequest(config), noMissedWait(config), ...waitReturns(config), ...requestConsumed(config)],
    }),
  };
}

export const guestMode: Spec = {
  name: 'guest-mode',
  seed: '004_795df9701de1de30.txt',
  description: 'kvm_make_all_cpus_request() with WAIT racing kvm_vcpu_kick(): which vCPU modes must be IPI\'d and waited for',
  defaults: { vcpus: 2, requesters: 2 },
  consumers: [
    {
      name: 'freed-resource',
      description: 'the resource the guest and lockless shadow-page walks use is freed after the request (page tables after KVM_REQ_TLB_FLUSH)',
      kernel: { label: 'KVM_REQ_TLB_FLUSH = WAIT|NO_WAKEUP', mask: WAIT_REQUEST_RULES.kernel },
      build: (config, mask) => ({
        machine: createKvmMachine({ ...config, waitRequestMask: mask }),
        properties: [noMissedRequest(config), noMissedWait(config)],
      }),
    },
    {
      name: 'shadow-walk-only',
      description: 'shadow page tables that only lockless walks read (READING_SHADOW_PAGE_TABLES), freed after KVM_REQ_TLB_FLUSH',
      kernel: { label: 'KVM_REQ_TLB_FLUSH = WAIT|NO_WAKEUP', mask: WAIT_REQUEST_RULES.kernel },
      build: (config, mask) => ({
        machine: createKvmMachine({ ...config, waitRequestMask: mask }),
        properties: [noMissedWait(config, ['spte_read'])],
      }),
    },
    {
      name: 'notice-soon',
      description: 'a request that only needs to be noticed before the vCPU next runs the guest (no freeing relies on it)',
      kernel: { label: 'no flags (kvm_request_needs_ipi: IN_GUEST_MODE)', mask: NO_WAIT_REQUEST_MASK },
      build: (config, mask) => ({ machine: createKvmMachine({ ...config, waitRequestMask: mask }), properties: [noMissedRequest(config)] }),
    },
  ],
  variants: [
    variant(
      'kernel',
      'merged rule (v4.13+): WAIT -> IPI and wait if mode != OUTSIDE_GUEST_MODE, else IPI only if it was IN_GUEST_MODE',
      HOLDS,
      { waitRequestMask: WAIT_REQUEST_RULES.kernel },
      undefined,
      { memoryModels: ['sc', 'tso'] },
    ),
    variant('v4.11', 'before the RFC: IPI if mode != OUTSIDE_GUEST_MODE, smp_call_function_many(..., wait=1) for every request', HOLDS, {
      waitRequestMask: WAIT_REQUEST_RULES['v4.11'],
    }),
    variant('rfc-1-6', 'RFC 1/6: IPI (and wait) only where the cmpxchg IN_GUEST_MODE -> EXITING_GUEST_MODE won', { verdict: 'violated', property: 'no-missed-wait' }, {
      waitRequestMask: WAIT_REQUEST_RULES['rfc-1-6'],
    }),
    variant('paolo', "Paolo's wait argument: IPI if the cmpxchg won, or if wait && mode != OUTSIDE_GUEST_MODE", HOLDS, {
      waitRequestMask: WAIT_REQUEST_RULES.paolo,
    }),
    variant(
      'check-before-mode',
      'mutant (pre-2008 shape, reference §10.2): requests checked before mode = IN_GUEST_MODE is published',
      { verdict: 'violated', property: 'no-missed-request' },
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, finalCheck: 'before-mode-store' },
      undefined,
      { memoryModels: ['sc', 'tso'] },
    ),
    variant(
      'no-mb-enter-guest',
      'mutant (reference §1.6, §4 step 6): no full barrier after mode = IN_GUEST_MODE, so under TSO the mode store may still be buffered while the vCPU reads vcpu->requests',
      HOLDS,
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, modeStoreMb: false },
      undefined,
      { memoryModels: ['sc', 'tso', 'arm64-like'], expectedUnder: { tso: MISSED_REQUEST, 'arm64-like': MISSED_REQUEST } },
    ),
    variant(
      'no-mb-exiting-guest-mode',
      'mutant (reference §2.3): no smp_mb__before_atomic() in kvm_vcpu_exiting_guest_mode(); harmless on x86 (set_bit and cmpxchg are locked), a missed request where set_bit and a failed cmpxchg order nothing (arm64)',
      HOLDS,
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, mbBeforeCmpxchg: false },
      // under sc and tso its state space is kernel's (checked in test/memory); 2x1 keeps `check` short
      { vcpus: 2, requesters: 1 },
      { memoryModels: ['sc', 'tso', 'arm64-like'], expectedUnder: { 'arm64-like': MISSED_REQUEST } },
    ),
    variant(
      'fastpath',
      'the kernel rule with the fastpath re-entry loop, which re-checks kvm_vcpu_exit_request() before re-entering (2020+)',
      HOLDS,
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, fastpath: 'kernel' },
      { vcpus: 2, requesters: 1 },
    ),
    variant(
      'fastpath-no-exit-check',
      'mutant (reference §4 step 10, §11.3 V9): the fastpath re-enters the guest without kvm_vcpu_exit_request(): a self-kick sends no IPI, so the request waits in the guest',
      { verdict: 'violated', property: 'no-missed-request' },
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, fastpath: 'no-exit-check' },
      { vcpus: 2, requesters: 1 },
    ),
    variant(
      'walk-takes-mmu-lock',
      'mutant: the lockless walk takes kvm->mmu_lock with IRQs off while a freer holds it and waits for that CPU\'s ack (why walk_shadow_page_lockless_begin() only disables IRQs)',
      { verdict: 'violated', property: 'wait-returns' },
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, walkTakesMmuLock: true },
      { vcpus: 2, requesters: 1 },
    ),
    variant(
      'no-action-logged',
      'mutant (reference §10.4): the WAIT request is logged but no vCPU handler clears it (KVM_REQ_GPC_INVALIDATE before KVM_REQUEST_NO_ACTION)',
      { verdict: 'violated', property: 'request-consumed' },
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, handledRequests: KVM_REQ_EVENT },
    ),
    variant(
      'snp-plain-kick',
      'mutant (reference §10.1, SEV-SNP AP destroy before 2025): the WAIT consumer makes the request and kvm_vcpu_kick()s one vCPU after the other, and a kick never waits',
      { verdict: 'violated', property: 'no-missed-wait' },
      { waitRequestMask: KVM_VCPU_KICK_MASK, waitConsumer: 'kvm_vcpu_kick' },
    ),
    variant(
      'snp-kick-wait',
      "the 2025 fix, __kvm_vcpu_kick(vcpu, wait=true): IPI and wait only where the cmpxchg saw IN_GUEST_MODE (RFC 1/6's rule); still violated (reference §11.9 item 5): a vCPU an earlier plain kick left in EXITING_GUEST_MODE is neither IPI'd nor waited for",
      { verdict: 'violated', property: 'no-missed-wait' },
      { waitRequestMask: WAIT_REQUEST_RULES['rfc-1-6'], waitConsumer: 'kvm_vcpu_kick' },
    ),
    variant(
      'kick-wait-needs-ipi',
      "snp-kick-wait's twin that holds: the waiting kick with kvm_request_needs_ipi()'s WAIT rule (IPI and wait if mode != OUTSIDE_GUEST_MODE)",
      HOLDS,
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, waitConsumer: 'kvm_vcpu_kick' },
    ),
    variant(
      'request-before-change',
      "mutant (reference §10.7, the APIC-access page invalidation race): the request is made and waited for before the new resource is published, so a vCPU reloads the old one; kernel is its twin",
      { verdict: 'violated', property: 'no-missed-wait' },
      { waitRequestMask: WAIT_REQUEST_RULES.kernel, replaceResource: 'after-request' },
    ),
  ],
};
