-- kvmcheck's `guest-mode` model (models/kvm.ts, models/vcpu_enter_guest.ts, models/requester.ts,
-- models/kvm_request_needs_ipi.ts, specs/guest-mode.ts) in Murphi, for the benchmark against Rumur.
--
-- Faithful to the XState machine step for step: one rule per XState event (an event with several
-- guarded targets picks the first enabled one, as XState does), the program counters vcpu_pc and
-- requester_pc are the XState states, and the other state variables are exactly the machine's
-- context: mode, requests, model_ipi, model_retired. vCPUs and requesters are scalarsets, so
-- Rumur's symmetry reduction applies (`--symmetry-reduction off` treats them as ranges). Distinct
-- states without symmetry equal `kvmcheck check guest-mode --no-symmetry` (bench/external.ts and
-- test/bench/external-models.test.ts compare them).
--
-- Murphi has no preprocessor: bench/external.ts rewrites the constants below per configuration.
-- WAIT_IPI / WAIT_WAIT are the WAIT request's kick/wait mode sets (bit m = mode m): kernel, v4.11
-- and paolo 14 / 14 (mode != OUTSIDE_GUEST_MODE), rfc-1-6 2 / 2 (IN_GUEST_MODE only);
-- BEFORE_MODE_STORE 1 gives check-before-mode; HANDLED the request bits the vCPU clears
-- (no-action-logged: 2).

const
  NVCPUS: 2;
  NREQ: 2;
  WAIT_IPI: 14;
  WAIT_WAIT: 14;
  HANDLED: 3;
  BEFORE_MODE_STORE: 0;

  -- kvm_host.ts
  OUTSIDE_GUEST_MODE: 0;
  IN_GUEST_MODE: 1;
  EXITING_GUEST_MODE: 2;
  READING_SHADOW_PAGE_TABLES: 3;
  KVM_REQ_TLB_FLUSH: 1;
  KVM_REQ_EVENT: 2;
  IPI_IDLE: 0;
  IPI_REQUEST_SET: 1;
  IPI_NONE: 2;
  IPI_MASKED: 3;
  IPI_MASKED_WAIT: 4;
  IPI_SENT: 5;
  IPI_SENT_WAIT: 6;
  -- kvm_request_needs_ipi.ts: KVM_VCPU_KICK_MASK (IPI only if the cmpxchg won, never wait)
  KICK_IPI: 2;
  KICK_WAIT: 0;

type
  vcpu_t: scalarset(NVCPUS);
  requester_t: scalarset(NREQ);
  vcpu_mode_t: 0..3;
  request_bits_t: 0..3;
  ipi_state_t: 0..6;
  mode_set_t: 0..15;
  -- The XState states of the threads; the three named after vcpu->mode values carry a pc_ prefix.
  vcpu_pc_t: enum { pc_OUTSIDE_GUEST_MODE, mmu_loaded, requests_checked, pc_IN_GUEST_MODE, exit_request_mode_read,
                    cancel_injection, guest, handle_exit, pc_READING_SHADOW_PAGE_TABLES, spte_read };
  requester_pc_t: enum { start, kvm_vcpu_kick, smp_send_reschedule, kvm_make_all_cpus_request, smp_call_function_many, done };

var
  vcpu_pc: array[vcpu_t] of vcpu_pc_t;
  requester_pc: array[requester_t] of requester_pc_t;
  mode: array[vcpu_t] of vcpu_mode_t;
  requests: array[vcpu_t] of request_bits_t;
  model_ipi: array[requester_t] of array[vcpu_t] of ipi_state_t;
  model_retired: array[requester_t] of array[vcpu_t] of boolean;

function in_set(set: mode_set_t; m: vcpu_mode_t): boolean;
begin
  return (set >> m) % 2 = 1;
end;

-- requests is a bit set of two bits: KVM_REQ_TLB_FLUSH (1) and KVM_REQ_EVENT (2)
function has_request(bits: request_bits_t; bit: request_bits_t): boolean;
begin
  return (bits / bit) % 2 = 1;
end;

function ipi_pending(v: vcpu_t): boolean;
begin
  return exists r: requester_t do model_ipi[r][v] = IPI_SENT | model_ipi[r][v] = IPI_SENT_WAIT endexists;
end;

function owes_ipi(x: ipi_state_t): boolean;
begin
  return x = IPI_REQUEST_SET | x = IPI_MASKED | x = IPI_MASKED_WAIT | x = IPI_SENT | x = IPI_SENT_WAIT;
end;

function idle(r: requester_t): boolean;
begin
  return forall v: vcpu_t do model_ipi[r][v] != IPI_REQUEST_SET endforall;
end;

-- ack_kick(): every pending IPI to this CPU is acked
procedure ack_kick(v: vcpu_t);
begin
  for r: requester_t do
    if model_ipi[r][v] = IPI_SENT | model_ipi[r][v] = IPI_SENT_WAIT then model_ipi[r][v] := IPI_NONE; endif;
  endfor;
end;

-- kvm_mmu_reload() / walk_shadow_page_lockless(read_spte): the vCPU holds the current resource
procedure load_resource(v: vcpu_t);
begin
  for r: requester_t do model_retired[r][v] := false; endfor;
end;

-- kvm_make_request(): smp_wmb(); set_bit(req, &vcpu->requests); r is now working on v
procedure make_request(r: requester_t; v: vcpu_t; bit: request_bits_t);
begin
  if !has_request(requests[v], bit) then requests[v] := requests[v] + bit; endif;
  model_ipi[r][v] := IPI_REQUEST_SET;
end;

-- kvm_vcpu_exiting_guest_mode() on v, the vCPU r works on: cmpxchg IN_GUEST_MODE -> EXITING_GUEST_MODE,
-- then the IPI decision of the mask on the old mode
procedure exiting_guest_mode(r: requester_t; v: vcpu_t; ipi_set: mode_set_t; wait_set: mode_set_t);
var old: vcpu_mode_t;
begin
  old := mode[v];
  if !in_set(ipi_set, old) then model_ipi[r][v] := IPI_NONE;
  elsif in_set(wait_set, old) then model_ipi[r][v] := IPI_MASKED_WAIT;
  else model_ipi[r][v] := IPI_MASKED;
  endif;
  if old = IN_GUEST_MODE then mode[v] := EXITING_GUEST_MODE; endif;
end;

-- smp_call_function_many / smp_send_reschedule: send the IPIs r decided on
procedure send_ipis(r: requester_t);
begin
  for v: vcpu_t do
    if model_ipi[r][v] = IPI_MASKED then model_ipi[r][v] := IPI_SENT;
    elsif model_ipi[r][v] = IPI_MASKED_WAIT then model_ipi[r][v] := IPI_SENT_WAIT;
    endif;
  endfor;
end;

ruleset v: vcpu_t do
  -- the IPI callback runs as soon as IRQs are on
  rule "ack_kick"
    (vcpu_pc[v] = pc_OUTSIDE_GUEST_MODE | vcpu_pc[v] = mmu_loaded | vcpu_pc[v] = handle_exit) & ipi_pending(v)
  ==> ack_kick(v); end;

  rule "kvm_check_request(KVM_REQ_TLB_FLUSH)"
    vcpu_pc[v] = pc_OUTSIDE_GUEST_MODE & has_request(HANDLED, KVM_REQ_TLB_FLUSH)
    & has_request(requests[v], KVM_REQ_TLB_FLUSH) & !ipi_pending(v)
  ==> requests[v] := requests[v] - KVM_REQ_TLB_FLUSH; end;

  rule "kvm_check_request(KVM_REQ_EVENT)"
    vcpu_pc[v] = pc_OUTSIDE_GUEST_MODE & has_request(HANDLED, KVM_REQ_EVENT)
    & has_request(requests[v], KVM_REQ_EVENT) & !ipi_pending(v)
  ==> requests[v] := requests[v] - KVM_REQ_EVENT; end;

  rule "kvm_mmu_reload"
    vcpu_pc[v] = pc_OUTSIDE_GUEST_MODE & !ipi_pending(v)
    & !(has_request(HANDLED, KVM_REQ_TLB_FLUSH) & has_request(requests[v], KVM_REQ_TLB_FLUSH))
    & !(has_request(HANDLED, KVM_REQ_EVENT) & has_request(requests[v], KVM_REQ_EVENT))
  ==> load_resource(v); vcpu_pc[v] := mmu_loaded; end;

  -- IRQs off; smp_store_release(&vcpu->mode, IN_GUEST_MODE); smp_mb__after_srcu_read_unlock()
  rule "vcpu_enter_guest(IN_GUEST_MODE)"
    ((BEFORE_MODE_STORE = 0 & vcpu_pc[v] = mmu_loaded) | vcpu_pc[v] = requests_checked) & !ipi_pending(v)
  ==> mode[v] := IN_GUEST_MODE; vcpu_pc[v] := pc_IN_GUEST_MODE; end;

  -- the check-before-mode mutant reads vcpu->requests before publishing IN_GUEST_MODE
  rule "kvm_request_pending"
    BEFORE_MODE_STORE = 1 & vcpu_pc[v] = mmu_loaded & !ipi_pending(v)
  ==>
    if requests[v] != 0 then vcpu_pc[v] := pc_OUTSIDE_GUEST_MODE; else vcpu_pc[v] := requests_checked; endif;
  end;

  rule "kvm_vcpu_exit_request(mode)"
    vcpu_pc[v] = pc_IN_GUEST_MODE
  ==>
    if mode[v] = EXITING_GUEST_MODE then vcpu_pc[v] := cancel_injection;
    elsif BEFORE_MODE_STORE = 0 then vcpu_pc[v] := exit_request_mode_read;
    else vcpu_pc[v] := guest;
    endif;
  end;

  rule "kvm_vcpu_exit_request(requests)"
    vcpu_pc[v] = exit_request_mode_read
  ==>
    if requests[v] != 0 then vcpu_pc[v] := cancel_injection; else vcpu_pc[v] := guest; endif;
  end;

  rule "vcpu_enter_guest(cancel_injection)"
    vcpu_pc[v] = cancel_injection
  ==> mode[v] := OUTSIDE_GUEST_MODE; vcpu_pc[v] := pc_OUTSIDE_GUEST_MODE; end;

  rule "vcpu_enter_guest(vm_exit)"
    vcpu_pc[v] = guest
  ==> mode[v] := OUTSIDE_GUEST_MODE; vcpu_pc[v] := handle_exit; end;

  -- local_irq_disable(); smp_store_mb(mode, READING_SHADOW_PAGE_TABLES)
  rule "walk_shadow_page_lockless_begin"
    vcpu_pc[v] = handle_exit & !ipi_pending(v)
  ==> mode[v] := READING_SHADOW_PAGE_TABLES; vcpu_pc[v] := pc_READING_SHADOW_PAGE_TABLES; end;

  rule "vcpu_run"
    vcpu_pc[v] = handle_exit & !ipi_pending(v)
  ==> vcpu_pc[v] := pc_OUTSIDE_GUEST_MODE; end;

  rule "walk_shadow_page_lockless(read_spte)"
    vcpu_pc[v] = pc_READING_SHADOW_PAGE_TABLES
  ==> load_resource(v); vcpu_pc[v] := spte_read; end;

  rule "walk_shadow_page_lockless_end"
    vcpu_pc[v] = spte_read
  ==> mode[v] := OUTSIDE_GUEST_MODE; vcpu_pc[v] := pc_OUTSIDE_GUEST_MODE; end;
end;

ruleset r: requester_t do
  -- kvm_make_request(KVM_REQ_EVENT) on any one vCPU (one event per vCPU)
  ruleset v: vcpu_t do
    rule "kvm_make_request(KVM_REQ_EVENT)"
      requester_pc[r] = start
    ==> make_request(r, v, KVM_REQ_EVENT); requester_pc[r] := kvm_vcpu_kick; end;
  end;

  -- rcu_assign_pointer(root, new): the resource every vCPU holds now is retired by r
  rule "model_replace_resource"
    requester_pc[r] = start
  ==>
    for v: vcpu_t do
      if !(exists r2: requester_t do model_retired[r2][v] endexists) then model_retired[r][v] := true; endif;
    endfor;
    requester_pc[r] := kvm_make_all_cpus_request;
  end;

  -- kvm_make_request(KVM_REQ_TLB_FLUSH) on a vCPU not yet visited by kvm_make_all_cpus_request
  ruleset v: vcpu_t do
    rule "kvm_make_request(KVM_REQ_TLB_FLUSH)"
      requester_pc[r] = kvm_make_all_cpus_request & idle(r) & model_ipi[r][v] = IPI_IDLE
    ==> make_request(r, v, KVM_REQ_TLB_FLUSH); end;
  end;

  -- kvm_vcpu_exiting_guest_mode: one event of r; v is the only vCPU r is working on (current())
  ruleset v: vcpu_t do
    rule "kvm_vcpu_exiting_guest_mode"
      (requester_pc[r] = kvm_vcpu_kick | requester_pc[r] = kvm_make_all_cpus_request) & model_ipi[r][v] = IPI_REQUEST_SET
    ==>
      if requester_pc[r] = kvm_vcpu_kick then
        if in_set(KICK_IPI, mode[v]) then requester_pc[r] := smp_send_reschedule; else requester_pc[r] := done; endif;
        exiting_guest_mode(r, v, KICK_IPI, KICK_WAIT);
      else
        exiting_guest_mode(r, v, WAIT_IPI, WAIT_WAIT);
      endif;
    end;
  end;

  rule "smp_send_reschedule"
    requester_pc[r] = smp_send_reschedule
  ==> send_ipis(r); requester_pc[r] := done; end;

  -- kvm_kick_many_cpus(cpus, wait): one batched smp_call_function_many()
  rule "kvm_kick_many_cpus"
    requester_pc[r] = kvm_make_all_cpus_request
    & forall v: vcpu_t do model_ipi[r][v] != IPI_IDLE & model_ipi[r][v] != IPI_REQUEST_SET endforall
  ==> send_ipis(r); requester_pc[r] := smp_call_function_many; end;

  -- free the old resource once every awaited ack came
  rule "free_pages(old)"
    requester_pc[r] = smp_call_function_many & forall v: vcpu_t do model_ipi[r][v] != IPI_SENT_WAIT endforall
  ==> requester_pc[r] := done; end;
end;

startstate
begin
  for v: vcpu_t do
    vcpu_pc[v] := pc_OUTSIDE_GUEST_MODE;
    mode[v] := OUTSIDE_GUEST_MODE;
    requests[v] := 0;
  endfor;
  for r: requester_t do
    requester_pc[r] := start;
    for v: vcpu_t do
      model_ipi[r][v] := IPI_IDLE;
      model_retired[r][v] := false;
    endfor;
  endfor;
end;

-- specs/guest-mode.ts: no vCPU runs the guest with a request bit set while no requester still
-- owes it an IPI (request bit set but not yet decided, or an IPI decided and not yet acked)
invariant "no-missed-request"
  forall v: vcpu_t do
    !(vcpu_pc[v] = guest & requests[v] != 0 & !(exists r: requester_t do owes_ipi(model_ipi[r][v]) endexists))
  endforall;

-- no vCPU runs the guest or reads SPTEs with a resource retired by a requester that is done
invariant "no-missed-wait"
  forall v: vcpu_t do
    (vcpu_pc[v] = guest | vcpu_pc[v] = spte_read)
    -> forall r: requester_t do !(model_retired[r][v] & requester_pc[r] = done) endforall
  endforall;
