/**
 * pid-table (seeds/000, Jan 2022): "[PATCH v5 8/8] KVM: VMX: Resize PID-ponter table on demand for
 * IPI virtualization". vmx_expand_pid_table() allocates a bigger PID-pointer table, copies and
 * publishes it, makes KVM_REQ_PID_TABLE_UPDATE (WAIT | NO_WAKEUP) of every vCPU and frees the old
 * table. Sean: "This is terrifying. I think it's safe?"; Zeng: WAIT forces every vCPU out of guest
 * mode to reload the VMCS field, so the old table is no longer referenced. Sean's alternative,
 * merged: size the table once from max_vcpu_ids; Zeng's objection is memory (pidTableBytes).
 *
 * `requesters` in the configuration is the number of kickers (kvm_vcpu_kick() racers).
 */
import type { StateView } from '../checker/xstate/index.ts';
import { always } from '../checker/xstate/index.ts';
import { NO_WAIT_REQUEST_MASK, WAIT_REQUEST_RULES } from '../models/kvm_request_needs_ipi.ts';
import { createPidTableMachine, type PidTableContext, type PidTableModelOptions, vcpuName } from '../models/vmx_expand_pid_table.ts';
import type { Expected, Spec, SpecConfig, Variant } from './Spec.ts';

/** include/asm-generic/page.h on x86. */
export const PAGE_SIZE = 4096;
/** Each PID-pointer table entry is a u64 (vmx.c: table_index_to_size(index) = index << 3). */
const PID_TABLE_ENTRY_BYTES = 8;
/** x86 KVM_MAX_VCPU_IDS in 2022 (KVM_MAX_VCPUS 1024 x KVM_VCPU_ID_RATIO 4): the 8 pages of v1-v4. */
export const KVM_MAX_VCPU_IDS = 4096;

/** get_order(size): the smallest page order whose allocation holds `size` bytes. */
export function getOrder(size: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

const tableBytesFor = (entries: number): number => PAGE_SIZE * 2 ** getOrder(entries * PID_TABLE_ENTRY_BYTES);

export interface PidTableVm {
  /** APIC IDs (= vcpu_id) of the vCPUs userspace creates, in creation order. */
  readonly apicIds: readonly number[];
  /** KVM_CAP_MAX_VCPU_ID as userspace sets it (largest APIC ID it may ever create + 1); default KVM_MAX_VCPU_IDS (old userspace). */
  readonly maxVcpuIds?: number;
}

/** Bytes of PID-pointer table: what stays allocated, and the most allocated at once (old + new while resizing). */
export interface PidTableBytes {
  readonly table: number;
  readonly peak: number;
}

/**
 * The table memory each design allocates for `vm` (Zeng's points 1 and 2: the table must cover the
 * largest APIC ID, and max_vcpu_ids must cover every vCPU userspace may ever add).
 * - `v5-patch`: vmx_vm_init() allocates order 0; creating vCPU `id` beyond pid_last_index
 *   reallocates get_order((id + 1) * 8) and frees the old table after the request.
 * - `max-vcpu-ids`: one get_order(max_vcpu_ids * 8) allocation at the first vCPU creation.
 */
export function pidTableBytes(design: 'v5-patch' | 'max-vcpu-ids', vm: PidTableVm): PidTableBytes {
  if (design === 'max-vcpu-ids') {
    const table = tableBytesFor(vm.maxVcpuIds ?? KVM_MAX_VCPU_IDS);
    return { table, peak: table };
  }
  let table = PAGE_SIZE;
  let peak = table;
  for (const id of vm.apicIds) {
    if (id < table / PID_TABLE_ENTRY_BYTES) continue;
    const grown = tableBytesFor(id + 1);
    peak = Math.max(peak, table + grown);
    table = grown;
  }
  return { table, peak };
}

/**
 * The VM the descriptions quote: few vCPUs, one with a large APIC ID (a sparse topology), and
 * userspace leaving room for APIC IDs up to 4095 (-smp 4,maxcpus=large_N).
 */
export const EXAMPLE_VM: PidTableVm = { apicIds: [0, 1, 2, 1023], maxVcpuIds: 4096 };

const kib = (bytes: number): string => `${bytes / 1024} KiB`;

/**
 * The old PID table is never freed while referenced: no vCPU that is in guest mode, or has passed
 * its last request check and will enter it (both are the model's program point `guest`: the final
 * kvm_vcpu_exit_request() leads straight to VM-entry), has its VMCS PID_POINTER_TABLE pointing at
 * a freed table. A vCPU that holds a freed table before its final check is not flagged: it will
 * still see KVM_REQ_PID_TABLE_UPDATE there and go back to reload.
 */
export const noFreedPidTable = (vcpus: number) =>
  always('no-freed-pid-table', ({ value, context }: StateView) => {
    const ctx = context as unknown as PidTableContext;
    return Array.from({ length: vcpus }, (_, v) => v).every((v) => value[vcpuName(v)] !== 'guest' || !(ctx.model_freed && ctx.vmcs_pid_table[v] === 0));
  });

const HOLDS: Expected = { verdict: 'holds' };
const VIOLATED: Expected = { verdict: 'violated', property: 'no-freed-pid-table' };

function variant(name: string, description: string, expected: Expected, options: Omit<PidTableModelOptions, 'vcpus' | 'kickers'>): Variant {
  return {
    name,
    description,
    expected,
    build: (config: SpecConfig) => {
      const machineOptions = { ...options, vcpus: config.vcpus, kickers: config.requesters };
      return {
        machine: createPidTableMachine(machineOptions),
        properties: [noFreedPidTable(config.vcpus + (options.concurrentCreate ? 1 : 0))],
      };
    },
  };
}

const v5 = pidTableBytes('v5-patch', EXAMPLE_VM);
const merged = pidTableBytes('max-vcpu-ids', EXAMPLE_VM);

export const pidTable: Spec = {
  name: 'pid-table',
  seed: '000_6a8938bc206e6d76.txt',
  description:
    'IPIv PID-pointer table resized under running vCPUs (the CPU reads it in guest mode); table bytes for a VM with APIC IDs 0,1,2,1023 and max_vcpu_ids 4096 in brackets',
  defaults: { vcpus: 2, requesters: 1 },
  consumers: [
    {
      name: 'pid-table',
      description: 'the old PID-pointer table is freed after KVM_REQ_PID_TABLE_UPDATE (the CPU reads it in guest mode)',
      kernel: { label: 'KVM_REQ_PID_TABLE_UPDATE = WAIT|NO_WAKEUP (v5 8/8)', mask: WAIT_REQUEST_RULES.kernel },
      build: (config, mask) => ({
        machine: createPidTableMachine({ vcpus: config.vcpus, kickers: config.requesters, design: { kind: 'expand', mask }, concurrentCreate: false }),
        properties: [noFreedPidTable(config.vcpus)],
      }),
    },
  ],
  variants: [
    variant(
      'v5-patch',
      `v5 8/8 as posted (Zeng Guang): grow, KVM_REQ_PID_TABLE_UPDATE = WAIT|NO_WAKEUP, free the old table; one KVM_CREATE_VCPU at a time [${kib(v5.table)}, ${kib(v5.peak)} while resizing]`,
      HOLDS,
      { design: { kind: 'expand', mask: WAIT_REQUEST_RULES.kernel }, concurrentCreate: false },
    ),
    variant('no-wait', 'the same request without KVM_REQUEST_WAIT: IPI vCPUs found IN_GUEST_MODE, free without waiting for the ack', VIOLATED, {
      design: { kind: 'expand', mask: NO_WAIT_REQUEST_MASK },
      concurrentCreate: false,
    }),
    variant('exiting-skip', 'WAIT, but with the RFC 1/6 rule (seeds/004): a vCPU a plain kick left EXITING_GUEST_MODE is neither IPI\'d nor waited for', VIOLATED, {
      design: { kind: 'expand', mask: WAIT_REQUEST_RULES['rfc-1-6'] },
      concurrentCreate: false,
    }),
    variant(
      'v5-concurrent-create',
      'v5 8/8 with a second KVM_CREATE_VCPU in flight: its init_vmcs() loaded the old table, but it is not online yet, so the request skips it',
      VIOLATED,
      { design: { kind: 'expand', mask: WAIT_REQUEST_RULES.kernel }, concurrentCreate: true },
    ),
    variant(
      'max-vcpu-ids',
      `merged (Sean Christopherson, v5.19): allocated once at the first vCPU creation from max_vcpu_ids, never resized [${kib(merged.table)}]`,
      HOLDS,
      { design: { kind: 'max-vcpu-ids' }, concurrentCreate: true },
    ),
  ],
};
