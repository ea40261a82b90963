/**
 * model_ environment: the postcopy-migration page source (QEMU's postcopy listen thread, the
 * network, and UFFDIO_COPY into the destination's userfaultfd; fs/userfaultfd.c), for one guest
 * page of vm0 that has not arrived yet (reference §9.3, QEMU issue #1052).
 *
 * Fairness (weak, per thread) applies to this thread as to every other, so its steps are chosen
 * with care: while the page is missing, the thread must eventually either deliver it or lose the
 * network — a page that "only arrives later" is a delivery after any number of other steps; a page
 * that "never arrives" is `model_network_down`, after which the thread's only steps — trying to
 * reconnect, failing — keep it down: fairness forcing them forces nothing. (A real step, not a
 * self-loop: a transition that changes nothing is no step for XState, and a system in which every
 * thread has no step is a deadlock, not a liveness counterexample.) Once the page is there the
 * thread has no step at all.
 */
import type { KickAllContext } from './kick_all.ts';
import { type RegionConfig, to } from './transition.ts';

export const POSTCOPY = 'postcopy';

export function postcopyRegion(): RegionConfig {
  const ev = (name: string): string => `${POSTCOPY}.${name}`;
  const missing = ({ context }: { context: KickAllContext }): boolean => !context.model_page_present;
  return {
    initial: 'network_up',
    states: {
      network_up: {
        on: {
          // ioctl(UFFDIO_COPY): the page is placed and the faulting threads woken (handle_userfault())
          [ev('UFFDIO_COPY')]: to<KickAllContext>(undefined, { guard: missing, update: () => ({ model_page_present: true }) }),
          [ev('model_network_down')]: to<KickAllContext>('network_down', { guard: missing }),
        },
      },
      network_down: { on: { [ev('model_reconnect')]: to<KickAllContext>('model_reconnecting') } },
      model_reconnecting: { on: { [ev('model_reconnect_failed')]: to<KickAllContext>('network_down') } },
    },
  };
}
