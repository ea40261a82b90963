/*
 * kvmcheck's `guest-mode` model (models/kvm.ts, models/vcpu_enter_guest.ts, models/requester.ts,
 * models/kvm_request_needs_ipi.ts, specs/guest-mode.ts) in Promela, for the benchmark against Spin.
 *
 * Faithful to the XState machine step for step: one d_step per XState event (an event with
 * several guarded targets is one `if` option per target, guards evaluated on the pre-state, first
 * match wins as in XState), each process's program counter is its XState state (labels carry the
 * state names; gotos are not transitions), and the state vector holds exactly the machine's
 * context: mode, requests, model_ipi, model_retired. Scratch variables are `hidden` (not stored).
 * Distinct states therefore equal `kvmcheck check guest-mode --no-symmetry` (bench/external.ts
 * and test/bench/external-models.test.ts compare them).
 *
 *   spin -DNVCPUS=2 -DNREQ=2 -a guest_mode.pml && gcc -O2 -DNOREDUCE -DSAFETY -o pan pan.c && ./pan -m1000000
 *
 * Variants (specs/guest-mode.ts): WAIT_IPI / WAIT_WAIT are the WAIT request's kick/wait mode sets
 * (bit m = mode m): kernel, v4.11 and paolo 14 / 14 (mode != OUTSIDE_GUEST_MODE), rfc-1-6 2 / 2
 * (IN_GUEST_MODE only). -DBEFORE_MODE_STORE gives check-before-mode; HANDLED the request bits the
 * vCPU clears (no-action-logged: 2).
 */
#ifndef NVCPUS
#define NVCPUS 2
#endif
#ifndef NREQ
#define NREQ 2
#endif
#if NVCPUS < 1 || NVCPUS > 6 || NREQ < 1 || NREQ > 4
#error "guest_mode.pml supports 1..6 vCPUs and 1..4 requesters"
#endif
#ifndef WAIT_IPI
#define WAIT_IPI 14
#endif
#ifndef WAIT_WAIT
#define WAIT_WAIT 14
#endif
#ifndef HANDLED
#define HANDLED 3
#endif

/* kvm_host.ts */
#define OUTSIDE_GUEST_MODE 0
#define IN_GUEST_MODE 1
#define EXITING_GUEST_MODE 2
#define READING_SHADOW_PAGE_TABLES 3
#define KVM_REQ_TLB_FLUSH 1
#define KVM_REQ_EVENT 2
#define IPI_IDLE 0
#define IPI_REQUEST_SET 1
#define IPI_NONE 2
#define IPI_MASKED 3
#define IPI_MASKED_WAIT 4
#define IPI_SENT 5
#define IPI_SENT_WAIT 6
/* kvm_request_needs_ipi.ts: KVM_VCPU_KICK_MASK (IPI only if the cmpxchg won, never wait) */
#define KICK_IPI 2
#define KICK_WAIT 0

byte mode[NVCPUS];
byte requests[NVCPUS];
byte model_ipi[NREQ * NVCPUS];     /* model_ipi[r][v] */
bool model_retired[NREQ * NVCPUS]; /* model_retired[r][v] */
hidden byte i, cur, old;

#define IPI(r, v) model_ipi[(r) * NVCPUS + (v)]
#define RETIRED(r, v) model_retired[(r) * NVCPUS + (v)]
#define IN_SET(set, m) ((((set) >> (m)) & 1) == 1)

/* Quantifiers unrolled over at most 4 requesters and 6 vCPUs; out-of-range terms are constant. */
#define SENT_TO(r, v) ((r) < NREQ && (IPI(r, v) == IPI_SENT || IPI(r, v) == IPI_SENT_WAIT))
#define IPI_PENDING(v) (SENT_TO(0, v) || SENT_TO(1, v) || SENT_TO(2, v) || SENT_TO(3, v))
#define SET_AT(r, v) ((v) < NVCPUS && IPI(r, v) == IPI_REQUEST_SET)
/* current(): the vCPU requester r is working on (at most one), 0 if none (never read then) */
#define CURRENT(r) (SET_AT(r, 1) -> 1 : (SET_AT(r, 2) -> 2 : (SET_AT(r, 3) -> 3 : (SET_AT(r, 4) -> 4 : (SET_AT(r, 5) -> 5 : 0)))))
#define IDLE(r) (!(SET_AT(r, 0) || SET_AT(r, 1) || SET_AT(r, 2) || SET_AT(r, 3) || SET_AT(r, 4) || SET_AT(r, 5)))
#define UNDECIDED_AT(r, v) ((v) < NVCPUS && (IPI(r, v) == IPI_IDLE || IPI(r, v) == IPI_REQUEST_SET))
#define ALL_DECIDED(r) (!(UNDECIDED_AT(r, 0) || UNDECIDED_AT(r, 1) || UNDECIDED_AT(r, 2) || UNDECIDED_AT(r, 3) || UNDECIDED_AT(r, 4) || UNDECIDED_AT(r, 5)))
#define WAIT_AT(r, v) ((v) < NVCPUS && IPI(r, v) == IPI_SENT_WAIT)
#define WAITING_FOR_ACK(r) (WAIT_AT(r, 0) || WAIT_AT(r, 1) || WAIT_AT(r, 2) || WAIT_AT(r, 3) || WAIT_AT(r, 4) || WAIT_AT(r, 5))

/* ack_kick(): every pending IPI to this CPU is acked */
inline ack_kick(v) {
  for (i : 0 .. NREQ - 1) {
    if
    :: IPI(i, v) == IPI_SENT || IPI(i, v) == IPI_SENT_WAIT -> IPI(i, v) = IPI_NONE
    :: else
    fi
  };
  i = 0 /* ends the loop inside the d_step */
}

/* kvm_mmu_reload() / walk_shadow_page_lockless(read_spte): the vCPU holds the current resource */
inline load_resource(v) {
  for (i : 0 .. NREQ - 1) { RETIRED(i, v) = false };
  i = 0
}

/* kvm_vcpu_exiting_guest_mode(): cmpxchg IN_GUEST_MODE -> EXITING_GUEST_MODE, IPI decision of the mask */
inline exiting_guest_mode(r, ipi_set, wait_set) {
  cur = CURRENT(r);
  old = mode[cur];
  if
  :: !IN_SET(ipi_set, old) -> IPI(r, cur) = IPI_NONE
  :: IN_SET(ipi_set, old) && IN_SET(wait_set, old) -> IPI(r, cur) = IPI_MASKED_WAIT
  :: else -> IPI(r, cur) = IPI_MASKED
  fi;
  if
  :: old == IN_GUEST_MODE -> mode[cur] = EXITING_GUEST_MODE
  :: else
  fi
}

/* smp_call_function_many / smp_send_reschedule: send the IPIs r decided on */
inline send_ipis(r) {
  for (i : 0 .. NVCPUS - 1) {
    if
    :: IPI(r, i) == IPI_MASKED -> IPI(r, i) = IPI_SENT
    :: IPI(r, i) == IPI_MASKED_WAIT -> IPI(r, i) = IPI_SENT_WAIT
    :: else
    fi
  };
  i = 0 /* ends the loop inside the d_step */
}

/* model_replace_resource: every vCPU's resource not yet retired by anyone is retired by r */
inline replace_resource(r) {
  for (cur : 0 .. NVCPUS - 1) {
    old = 0;
    for (i : 0 .. NREQ - 1) {
      if
      :: RETIRED(i, cur) -> old = 1
      :: else
      fi
    }
    if
    :: old == 0 -> RETIRED(r, cur) = true
    :: else
    fi
  };
  i = 0 /* ends the loop inside the d_step */
}

#define V _pid
#define NO_IPI (!IPI_PENDING(V))

active [NVCPUS] proctype vcpu() {
pc_OUTSIDE_GUEST_MODE:
  if
  :: d_step { IPI_PENDING(V) -> ack_kick(V) }; goto pc_OUTSIDE_GUEST_MODE
  :: d_step { (requests[V] & KVM_REQ_TLB_FLUSH & HANDLED) != 0 && NO_IPI -> requests[V] = requests[V] & ~KVM_REQ_TLB_FLUSH }; goto pc_OUTSIDE_GUEST_MODE
  :: d_step { (requests[V] & KVM_REQ_EVENT & HANDLED) != 0 && NO_IPI -> requests[V] = requests[V] & ~KVM_REQ_EVENT }; goto pc_OUTSIDE_GUEST_MODE
  :: d_step { NO_IPI && (requests[V] & HANDLED) == 0 -> load_resource(V) }; goto mmu_loaded /* kvm_mmu_reload */
  fi;
mmu_loaded:
  if
  :: d_step { IPI_PENDING(V) -> ack_kick(V) }; goto mmu_loaded
#ifndef BEFORE_MODE_STORE
  :: d_step { NO_IPI -> mode[V] = IN_GUEST_MODE }; goto pc_IN_GUEST_MODE /* vcpu_enter_guest(IN_GUEST_MODE) */
#else
  /* kvm_request_pending, read before the mode store (the check-before-mode mutant) */
  :: d_step { NO_IPI && requests[V] != 0 -> skip }; goto pc_OUTSIDE_GUEST_MODE
  :: d_step { NO_IPI && requests[V] == 0 -> skip }; goto requests_checked
#endif
  fi;
#ifdef BEFORE_MODE_STORE
requests_checked:
  if
  :: d_step { NO_IPI -> mode[V] = IN_GUEST_MODE }; goto pc_IN_GUEST_MODE
  fi;
#endif
pc_IN_GUEST_MODE: /* kvm_vcpu_exit_request(mode) */
  if
  :: d_step { mode[V] == EXITING_GUEST_MODE -> skip }; goto cancel_injection
#ifndef BEFORE_MODE_STORE
  :: d_step { mode[V] != EXITING_GUEST_MODE -> skip }; goto exit_request_mode_read
#else
  :: d_step { mode[V] != EXITING_GUEST_MODE -> skip }; goto guest
#endif
  fi;
exit_request_mode_read: /* kvm_vcpu_exit_request(requests) */
  if
  :: d_step { requests[V] != 0 -> skip }; goto cancel_injection
  :: d_step { requests[V] == 0 -> skip }; goto guest
  fi;
cancel_injection:
  if
  :: d_step { mode[V] = OUTSIDE_GUEST_MODE }; goto pc_OUTSIDE_GUEST_MODE
  fi;
guest: /* vcpu_enter_guest(vm_exit) */
  if
  :: d_step { mode[V] = OUTSIDE_GUEST_MODE }; goto handle_exit
  fi;
handle_exit:
  if
  :: d_step { IPI_PENDING(V) -> ack_kick(V) }; goto handle_exit
  :: d_step { NO_IPI -> mode[V] = READING_SHADOW_PAGE_TABLES }; goto pc_READING_SHADOW_PAGE_TABLES
  :: d_step { NO_IPI -> skip }; goto pc_OUTSIDE_GUEST_MODE /* vcpu_run */
  fi;
pc_READING_SHADOW_PAGE_TABLES: /* walk_shadow_page_lockless(read_spte) */
  if
  :: d_step { load_resource(V) }; goto spte_read
  fi;
spte_read: /* walk_shadow_page_lockless_end */
  if
  :: d_step { mode[V] = OUTSIDE_GUEST_MODE }; goto pc_OUTSIDE_GUEST_MODE
  fi
}

#define R (_pid - NVCPUS)
/* kvm_make_request(KVM_REQ_EVENT) on vCPU v (the kvm_vcpu_kick path) */
#define MAKE_EVENT(v) :: d_step { (v) < NVCPUS -> requests[v] = requests[v] | KVM_REQ_EVENT; IPI(R, v) = IPI_REQUEST_SET }; goto kvm_vcpu_kick
/* kvm_make_request(KVM_REQ_TLB_FLUSH) on vCPU v inside kvm_make_all_cpus_request */
#define MAKE_FLUSH(v) :: d_step { (v) < NVCPUS && IDLE(R) && IPI(R, v) == IPI_IDLE -> requests[v] = requests[v] | KVM_REQ_TLB_FLUSH; IPI(R, v) = IPI_REQUEST_SET }; goto kvm_make_all_cpus_request

active [NREQ] proctype requester() {
start:
  if
  MAKE_EVENT(0)
  MAKE_EVENT(1)
  MAKE_EVENT(2)
  MAKE_EVENT(3)
  MAKE_EVENT(4)
  MAKE_EVENT(5)
  :: d_step { replace_resource(R) }; goto kvm_make_all_cpus_request /* model_replace_resource */
  fi;
kvm_vcpu_kick: /* kvm_vcpu_exiting_guest_mode */
  if
  :: d_step { IN_SET(KICK_IPI, mode[CURRENT(R)]) -> exiting_guest_mode(R, KICK_IPI, KICK_WAIT) }; goto smp_send_reschedule
  :: d_step { !IN_SET(KICK_IPI, mode[CURRENT(R)]) -> exiting_guest_mode(R, KICK_IPI, KICK_WAIT) }; goto done
  fi;
smp_send_reschedule:
  if
  :: d_step { send_ipis(R) }; goto done
  fi;
kvm_make_all_cpus_request:
  if
  MAKE_FLUSH(0)
  MAKE_FLUSH(1)
  MAKE_FLUSH(2)
  MAKE_FLUSH(3)
  MAKE_FLUSH(4)
  MAKE_FLUSH(5)
  :: d_step { !IDLE(R) -> exiting_guest_mode(R, WAIT_IPI, WAIT_WAIT) }; goto kvm_make_all_cpus_request
  :: d_step { ALL_DECIDED(R) -> send_ipis(R) }; goto smp_call_function_many /* kvm_kick_many_cpus */
  fi;
smp_call_function_many: /* free_pages(old), once every awaited ack came */
  if
  :: d_step { !WAITING_FOR_ACK(R) -> skip }; goto done
  fi;
done:
  false /* final: no step */
}

/* specs/guest-mode.ts, no-missed-request: no vCPU runs the guest with a request bit set while no
 * requester still owes it an IPI (request bit set but not yet decided, or an IPI decided and not yet acked) */
#define OWES_IPI(r, v) ((r) < NREQ && (IPI(r, v) == IPI_REQUEST_SET || IPI(r, v) == IPI_MASKED || IPI(r, v) == IPI_MASKED_WAIT \
  || IPI(r, v) == IPI_SENT || IPI(r, v) == IPI_SENT_WAIT))
#define MISSED_REQUEST_AT(v) ((v) < NVCPUS && vcpu[v]@guest && requests[v] != 0 \
  && !(OWES_IPI(0, v) || OWES_IPI(1, v) || OWES_IPI(2, v) || OWES_IPI(3, v)))
#define NO_MISSED_REQUEST (!(MISSED_REQUEST_AT(0) || MISSED_REQUEST_AT(1) || MISSED_REQUEST_AT(2) \
  || MISSED_REQUEST_AT(3) || MISSED_REQUEST_AT(4) || MISSED_REQUEST_AT(5)))
/* no-missed-wait: no vCPU runs the guest or reads SPTEs with a resource retired by a requester that is done */
#define FREED(r, v) ((r) < NREQ && RETIRED(r, v) && requester[NVCPUS + (r)]@done)
#define MISSED_WAIT_AT(v) ((v) < NVCPUS && (vcpu[v]@guest || vcpu[v]@spte_read) \
  && (FREED(0, v) || FREED(1, v) || FREED(2, v) || FREED(3, v)))
#define NO_MISSED_WAIT (!(MISSED_WAIT_AT(0) || MISSED_WAIT_AT(1) || MISSED_WAIT_AT(2) \
  || MISSED_WAIT_AT(3) || MISSED_WAIT_AT(4) || MISSED_WAIT_AT(5)))

/* The invariants, checked in every reachable state; the monitor never moves unless one fails. */
active proctype monitor() {
  if
  :: atomic { !NO_MISSED_REQUEST -> printf("violated: no-missed-request\n"); assert(NO_MISSED_REQUEST) }
  :: atomic { !NO_MISSED_WAIT -> printf("violated: no-missed-wait\n"); assert(NO_MISSED_WAIT) }
  fi
}
