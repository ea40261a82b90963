/**
 * kick-all (seeds/003, Oct 2022): "KVM: API to block and resume all running vcpus in a vm".
 * KVM_KICK_ALL_RUNNING_VCPUS makes every vCPU leave KVM_RUN (KVM_REQ_USERSPACE_KICK) and takes a
 * rwsem that KVM_RUN holds for read, so that QEMU can change memslots with no vCPU looking;
 * KVM_RESUME_ALL_KICKED_VCPUS lets them run again. Sean: userspace must also "signal vCPU tasks so
 * that the system doesn't livelock if a vCPU is stuck outside of KVM, e.g. in
 * get_user_pages_unlocked()", and "it's not just KVM_RUN that consumes memslots"; Paolo: the
 * rwsem must be per VM. The vCPUs of vm0 may fault on a postcopy page whose network may go down
 * for good (reference §9.3).
 *
 * Configuration: vcpus = vm0's vCPUs, requesters = vm0's memslot-update threads.
 */
import type { StateView, ViewProperty } from '../checker/xstate/index.ts';
import { always, eventually } from '../checker/xstate/index.ts';
import { createKickAllMachine, type KickAllModelOptions, vcpuName } from '../models/kick_all.ts';
import { KICK_COMPLETED, requesterName, UPDATING } from '../models/kvm_kick_all_running_vcpus.ts';
import { usesMemslots } from '../models/kvm_vcpu_ioctl.ts';
import type { Expected, Spec, SpecConfig, Variant } from './Spec.ts';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The point of the API: no vCPU of the VM uses its memslots (runs in KVM_RUN, or has guest memory
 * mapped by another ioctl) while a memslot update holds the write side. Violated when an update
 * thread is between taking the write side and dropping it while a vCPU of vm0 is at such a point.
 */
export const noMemslotUseDuringUpdate = (config: SpecConfig): ViewProperty =>
  always('no-memslot-use-during-update', ({ value }: StateView) =>
    range(config.requesters).every((r) => !UPDATING.includes(value[requesterName(r)]!) || range(config.vcpus).every((v) => !usesMemslots(value[vcpuName(v)]!))),
  );

/**
 * L-Stop-all (reference §11.8): every KVM_KICK_ALL_RUNNING_VCPUS eventually completes — every
 * vCPU of the VM has left KVM_RUN and the update thread holds the write side — under weak
 * fairness per thread.
 */
export const kickAllCompletes = (config: SpecConfig): ViewProperty[] =>
  range(config.requesters).map((r) => eventually('kick-all-completes', ({ value }: StateView) => KICK_COMPLETED.includes(value[requesterName(r)]!), requesterName(r)));

const HOLDS: Expected = { verdict: 'holds' };
const STUCK: Expected = { verdict: 'violated', property: 'kick-all-completes' };

type Design = Omit<KickAllModelOptions, 'vcpus' | 'kickers'>;
const SIGNAL: Design = { signal: true, interruptibleFault: true, secondVm: 'none', otherIoctl: 'none' };

function variant(name: string, description: string, expected: Expected, design: Design): Variant {
  return {
    name,
    description,
    expected,
    build: (config) => ({
      machine: createKickAllMachine({ ...design, vcpus: config.vcpus, kickers: config.requesters }),
      properties: [noMemslotUseDuringUpdate(config), ...kickAllCompletes(config)],
    }),
  };
}

export const kickAll: Spec = {
  name: 'kick-all',
  seed: '003_e55b0be211a55d41.txt',
  description: 'KVM_KICK_ALL_RUNNING_VCPUS: request + rwsem to keep vCPUs out of memslots during an update, with a vCPU stuck in a postcopy fault',
  defaults: { vcpus: 2, requesters: 1 },
  variants: [
    variant('proposal', 'the proposal: KVM_REQ_USERSPACE_KICK + memory_transaction rwsem (per VM); GUP honours only fatal signals', STUCK, {
      signal: false,
      interruptibleFault: false,
      secondVm: 'none',
      otherIoctl: 'none',
    }),
    variant('signal-uninterruptible-gup', 'userspace also signals the vCPU threads, but GUP ignores non-fatal signals (before v6.2, QEMU #1052)', STUCK, {
      ...SIGNAL,
      interruptibleFault: false,
    }),
    variant('signal', 'userspace also signals the vCPU threads (Sean) and GUP is interruptible (FOLL_INTERRUPTIBLE, KVM_PFN_ERR_SIGPENDING)', HOLDS, SIGNAL),
    variant('global-rwsem', "as signal, with v1's global memory_transaction rwsem shared by a second VM's vCPU (Paolo)", STUCK, { ...SIGNAL, secondVm: 'global' }),
    variant('per-vm-rwsem', 'as global-rwsem, with one rwsem per VM (Paolo)', HOLDS, { ...SIGNAL, secondVm: 'per-vm' }),
    variant(
      'other-ioctls',
      'as signal, and vCPU threads call KVM_SET_NESTED_STATE, which maps guest memory without the rwsem (Sean)',
      { verdict: 'violated', property: 'no-memslot-use-during-update' },
      { ...SIGNAL, otherIoctl: 'unlocked' },
    ),
    variant('all-ioctls', 'as other-ioctls, with every vCPU ioctl holding the rwsem for read', HOLDS, { ...SIGNAL, otherIoctl: 'read-locked' }),
  ],
};
