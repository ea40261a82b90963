/**
 * The guest side of the Hyper-V VP index (arch/x86/kvm/hyperv.c, reference §8): a PV TLB flush or
 * PV IPI hypercall (kvm_hv_flush_tlb(), kvm_hv_send_ipi()) translates the set of VP indexes it was
 * given into a vCPU mask, while userspace may write VP_INDEX (kvm_hv_set_msr.ts). One atomic step
 * per read of shared memory; the variants are the lookups of seeds/002:
 *
 * - `full-scan`: per requested VP index, kvm_for_each_vcpu() comparing kvm_hv_get_vpindex();
 * - `get_vcpu_by_vpidx`: per index, kvm_get_vcpu(kvm, vpidx) if its VP index matches, else the scan;
 * - `sparse_set_to_vcpu_mask`: merged (v4.20): if atomic_read(&num_mismatched_vp_indexes) is 0 the
 *   set is the mask, else one kvm_for_each_vcpu() testing each VP index against the set;
 * - `condensed-array`: Vitaly's v2 — per index, a binary search of the sorted (VP index, vCPU)
 *   array published with RCU; the reader's rcu_dereference() and search are one step (RCU keeps
 *   the snapshot alive and unchanged until rcu_read_unlock());
 * - `condensed-array-recheck`: model — the found vCPU's VP index is read again and the scan taken
 *   if it no longer matches (the check get_vcpu_by_vpidx() makes on its fast path).
 *
 * The hypercall's sparse set (`vp_bitmap`) is chosen nondeterministically when it starts. Ghost
 * state `model_had_vp_index[h][v]`: vCPU v had a VP index in hypercall h's set at some moment
 * since h started (set at the start, and by every VP_INDEX store while h runs).
 */
import { setAt } from './context.ts';
import { buildCondensedArray, condensedLookup } from './hv_vpindex_lookup.ts';
import type { HvContext } from './hyperv.ts';
import { type Guard, type RegionConfig, to, type TransitionConfig, type Update } from './transition.ts';

export type VpIndexLookup = 'full-scan' | 'get_vcpu_by_vpidx' | 'sparse_set_to_vcpu_mask' | 'condensed-array' | 'condensed-array-recheck';

export interface FlushTlbOptions {
  readonly vcpus: number;
  readonly lookup: VpIndexLookup;
}

export const hypercallName = (h: number): string => `hypercall${h}`;

type G = Guard<HvContext>;
type U = Update<HvContext>;

const inSet = (set: number, vpidx: number): boolean => ((set >> vpidx) & 1) === 1;
const members = (set: number, n: number): number[] => Array.from({ length: n }, (_, i) => i).filter((i) => inSet(set, i));
const and = (a: G | undefined, b: G): G => (a === undefined ? b : (x) => a(x) && b(x));
const nothing: U = () => ({});

/** The hypercall thread `hypercall<h>` as an XState region. */
export function flushTlbRegion(h: number, options: FlushTlbOptions): RegionConfig {
  const { vcpus, lookup } = options;
  const ev = (name: string): string => `${hypercallName(h)}.${name}`;
  const V = Array.from({ length: vcpus }, (_, i) => i);
  const condensed = lookup === 'condensed-array' || lookup === 'condensed-array-recheck';
  const setOf = (ctx: HvContext): number => ctx.vp_bitmap[h]!;
  const addToMask = (v: number): U => ({ context }) => ({ vcpu_mask: context.vcpu_mask.map((row, k) => (k === h ? setAt(row, v, true) : (row as boolean[]))) });
  // the hypercall returns its vcpu_mask (to kvm_make_vcpus_request_mask()); its set is no longer live
  const returning = (update: U): U => (a) => ({ ...update(a), vp_bitmap: setAt(a.context.vp_bitmap, h, 0) });

  const scanState = (i: number, j: number): string => `kvm_for_each_vcpu(vpidx${i},vcpu${j})`;
  const recheckState = (i: number, f: number): string => `kvm_hv_get_vpindex(vpidx${i},vcpu${f})`;
  /** Where the translation of VP index i starts. */
  const firstState = (i: number): string => {
    if (lookup === 'get_vcpu_by_vpidx') return `kvm_get_vcpu(vpidx${i})`;
    if (condensed) return `vp_index_to_vcpu_idx(vpidx${i})`;
    return scanState(i, 0);
  };
  /** Once VP index i is translated (if `guard`): on to the next index of the set, or return. */
  const nextIndex = (i: number, update: U, guard?: G): TransitionConfig[] => [
    ...V.filter((k) => k > i).map((k) =>
      to<HvContext>(firstState(k), { guard: and(guard, ({ context }) => members(setOf(context), vcpus).find((m) => m > i) === k), update }),
    ),
    to<HvContext>('done', { ...(guard ? { guard } : {}), update: returning(update) }),
  ];
  const vpIndexIs = (v: number, i: number): G => ({ context }) => context.vp_index[v] === i;
  const states: RegionConfig['states'] = {};

  if (lookup === 'sparse_set_to_vcpu_mask') {
    // has_mismatch = atomic_read(&hv->num_mismatched_vp_indexes): if 0 the set is the vCPU mask
    const testState = (j: number): string => `test_bit(vcpu${j})`;
    states['sparse_set_to_vcpu_mask'] = {
      on: {
        [ev('atomic_read(num_mismatched_vp_indexes)')]: [
          to<HvContext>('done', {
            guard: ({ context }) => context.num_mismatched_vp_indexes === 0,
            update: returning(({ context }) => ({ vcpu_mask: context.vcpu_mask.map((row, k) => (k === h ? V.map((v) => inSet(setOf(context), v)) : (row as boolean[]))) })),
          }),
          to<HvContext>(testState(0)),
        ],
      },
    };
    // kvm_for_each_vcpu(): if (test_bit(kvm_hv_get_vpindex(vcpu), vp_bitmap)) __set_bit(i, vcpu_mask)
    for (const j of V) {
      const next = (update: U, guard?: G): TransitionConfig =>
        j + 1 < vcpus ? to<HvContext>(testState(j + 1), { ...(guard ? { guard } : {}), update }) : to<HvContext>('done', { ...(guard ? { guard } : {}), update: returning(update) });
      states[testState(j)] = {
        on: { [ev(`test_bit(kvm_hv_get_vpindex(vcpu${j}),vp_bitmap)`)]: [next(addToMask(j), ({ context }) => inSet(setOf(context), context.vp_index[j]!)), next(nothing)] },
      };
    }
  }

  for (const i of lookup === 'sparse_set_to_vcpu_mask' ? [] : V) {
    // kvm_for_each_vcpu(): if (kvm_hv_get_vpindex(vcpu) == vpidx) return vcpu;
    for (const j of V) {
      states[scanState(i, j)] = {
        on: {
          [ev(`kvm_hv_get_vpindex(vcpu${j})`)]: [
            ...nextIndex(i, addToMask(j), vpIndexIs(j, i)),
            ...(j + 1 < vcpus ? [to<HvContext>(scanState(i, j + 1))] : nextIndex(i, nothing)),
          ],
        },
      };
    }
    if (lookup === 'get_vcpu_by_vpidx') {
      // vcpu = kvm_get_vcpu(kvm, vpidx); if (vcpu && kvm_hv_get_vpindex(vcpu) == vpidx) return vcpu;
      states[firstState(i)] = {
        on: { [ev(`kvm_hv_get_vpindex(kvm_get_vcpu(vpidx${i}))`)]: [...nextIndex(i, addToMask(i), vpIndexIs(i, i)), to<HvContext>(scanState(i, 0))] },
      };
    }
    if (condensed) {
      // rcu_read_lock(); binary search of rcu_dereference(vp_index_to_vcpu_idx); rcu_read_unlock()
      const foundIs = (f: number): G => ({ context }) => condensedLookup(buildCondensedArray(context.vp_index_map), i).vcpuIdx === f;
      const found = V.flatMap((f) =>
        lookup === 'condensed-array-recheck' ? [to<HvContext>(recheckState(i, f), { guard: foundIs(f) })] : nextIndex(i, addToMask(f), foundIs(f)),
      );
      states[firstState(i)] = { on: { [ev(`vp_index_to_vcpu_idx(vpidx${i})`)]: [...found, ...nextIndex(i, nothing)] } };
      if (lookup === 'condensed-array-recheck') {
        for (const f of V) {
          states[recheckState(i, f)] = {
            on: { [ev(`kvm_hv_get_vpindex(vcpu${f})`)]: [...nextIndex(i, addToMask(f), vpIndexIs(f, i)), to<HvContext>(scanState(i, 0))] },
          };
        }
      }
    }
  }

  // the hypercall starts with a set of VP indexes (any non-empty subset); the ghost records who has one now
  const start: Record<string, TransitionConfig> = {};
  for (let set = 1; set < 1 << vcpus; set++) {
    const first = lookup === 'sparse_set_to_vcpu_mask' ? 'sparse_set_to_vcpu_mask' : firstState(members(set, vcpus)[0]!);
    start[ev(`kvm_hv_flush_tlb({${members(set, vcpus).join(',')}})`)] = to<HvContext>(first, {
      update: ({ context }) => ({
        vp_bitmap: setAt(context.vp_bitmap, h, set),
        model_had_vp_index: context.model_had_vp_index.map((row, k) => (k === h ? V.map((v) => inSet(set, context.vp_index[v]!)) : (row as boolean[]))),
      }),
    });
  }
  return { initial: 'start', states: { start: { on: start }, ...states, done: { type: 'final' } } };
}
