/**
 * Reads a checked machine's transitions into plain step tables: per thread and state, the events
 * it accepts, each with its guarded candidates (guard, target, assigns) in XState's own order.
 * The compiled transition system runs these tables directly, without XState's interpreter.
 */
import type { AnyStateMachine } from 'xstate';
import { ConventionError, MEMORY_ACCESSES, META_KEY, type MemoryAccess } from './conventions.ts';
import type { Context, StateLayout } from './layout.ts';

export type GuardFn = (context: Context) => boolean;
export type AssignFn = (context: Context) => Context;

/** One guarded alternative of an event: the first whose guard passes is taken. */
export interface Candidate {
  readonly guard: GuardFn | null;
  /** Target state index within the thread (the source itself for a targetless transition). */
  readonly target: number;
  readonly assigns: readonly AssignFn[];
  /** Its declared shared-memory access (`meta.kvmcheck.access`), if any. */
  readonly access: MemoryAccess | null;
  /** The bits a `set_bit` access sets (`meta.kvmcheck.bits`); 0 otherwise. */
  readonly bits: number;
}

/** An event a state accepts, with its action id. */
export interface StepEvent {
  readonly action: number;
  readonly candidates: readonly Candidate[];
}

export interface MachineSteps {
  /** Action id -> thread index and event type. */
  readonly actions: readonly { readonly thread: number; readonly eventType: string }[];
  /** steps[thread][stateIndex] = accepted events in increasing action id. */
  readonly steps: readonly (readonly (readonly StepEvent[])[])[];
}

type Implementations = { guards: Record<string, unknown>; actions: Record<string, unknown> };

function resolveGuard(guard: unknown, impl: Implementations, where: string): GuardFn | null {
  if (guard === undefined) return null;
  const named = typeof guard === 'string' ? guard : typeof guard === 'object' && guard !== null ? (guard as { type?: string }).type : undefined;
  const fn = typeof guard === 'function' ? guard : named !== undefined ? impl.guards[named] : undefined;
  if (typeof fn !== 'function' || 'check' in fn) throw new ConventionError(`${where}: guards must be plain functions of the context (got ${String(named ?? typeof guard)})`);
  const params = typeof guard === 'object' && guard !== null ? (guard as { params?: unknown }).params : undefined;
  if (typeof params === 'function') throw new ConventionError(`${where}: dynamic guard params are not supported`);
  const g = fn as (args: { context: Context; event: unknown }, params: unknown) => boolean;
  return (context) => g({ context, event: undefined }, params);
}

function resolveAssign(action: unknown, impl: Implementations, where: string): AssignFn {
  const resolved = typeof action === 'string' ? impl.actions[action] : action;
  const assignment = (resolved as { type?: string; assignment?: unknown } | undefined)?.assignment;
  if ((resolved as { type?: string } | undefined)?.type !== 'xstate.assign' || assignment === undefined) {
    throw new ConventionError(`${where}: actions must be assign(...) (got ${typeof action === 'string' ? action : typeof action})`);
  }
  if (typeof assignment === 'function') {
    const f = assignment as (args: { context: Context; event: unknown }, params: unknown) => Context;
    return (context) => f({ context, event: undefined }, undefined);
  }
  const entries = Object.entries(assignment as Record<string, unknown>);
  return (context) => {
    const partial: Context = {};
    for (const [k, v] of entries) {
      partial[k] = typeof v === 'function' ? (v as (a: { context: Context; event: unknown }, p: unknown) => unknown)({ context, event: undefined }, undefined) : v;
    }
    return partial;
  };
}

function resolveAccess(meta: unknown, where: string): { access: MemoryAccess | null; bits: number } {
  const declared = (meta as Record<string, { access?: unknown; bits?: unknown } | undefined> | undefined)?.[META_KEY];
  const access = declared?.access;
  if (access === undefined) return { access: null, bits: 0 };
  if (!MEMORY_ACCESSES.includes(access as MemoryAccess)) throw new ConventionError(`${where}: meta.${META_KEY}.access must be one of ${MEMORY_ACCESSES.join(', ')} (got ${JSON.stringify(access)})`);
  const bits = declared?.bits ?? 0;
  if (access === 'set_bit' && !(Number.isInteger(bits) && (bits as number) > 0)) throw new ConventionError(`${where}: a set_bit access needs meta.${META_KEY}.bits, a positive integer`);
  return { access: access as MemoryAccess, bits: bits as number };
}

/** Builds the step tables of `machine` laid out by `layout`. Throws ConventionError on misuse. */
export function readMachineSteps(machine: AnyStateMachine, layout: StateLayout): MachineSteps {
  const impl = machine.implementations as unknown as Implementations;
  const actions: { thread: number; eventType: string }[] = [];
  const actionOf = new Map<string, number>();
  const root = machine.root;
  if ((root.always?.length ?? 0) > 0 || root.transitions.size > 0) throw new ConventionError('the root must have no transitions (`on`, `always`): every step belongs to one thread');
  const regions = Object.values(root.states);
  const steps = layout.threads.map((thread, t) => {
    const region = regions[t]!;
    if (region.transitions.size > 0 || (region.always?.length ?? 0) > 0) {
      throw new ConventionError(`thread '${thread.name}': transitions (\`on\`, \`always\`) must sit on its atomic states, not on the region`);
    }
    return Object.values(region.states).map((node) => {
      const where = `${thread.name}.${node.key}`;
      if (node.entry.length > 0 || node.exit.length > 0) throw new ConventionError(`${where}: entry/exit actions are not supported`);
      if (node.always && node.always.length > 0) throw new ConventionError(`${where}: 'always' transitions are not supported`);
      if (node.after.length > 0) throw new ConventionError(`${where}: 'after' transitions are not supported`);
      if (node.invoke.length > 0) throw new ConventionError(`${where}: 'invoke' is not supported`);
      const events: StepEvent[] = [];
      for (const [eventType, defs] of node.transitions) {
        if (eventType.includes('*')) throw new ConventionError(`${where}: wildcard event descriptor '${eventType}' (an event must be one thread's step)`);
        let action = actionOf.get(eventType);
        if (action === undefined) {
          action = actions.length;
          actions.push({ thread: t, eventType });
          actionOf.set(eventType, action);
        } else if (actions[action]!.thread !== t) {
          throw new ConventionError(`event '${eventType}' is handled by threads '${layout.threads[actions[action]!.thread]!.name}' and '${thread.name}'; an event must be one thread's step`);
        }
        const candidates = defs.map((def): Candidate => {
          const targets = def.target ?? [];
          if (targets.length > 1) throw new ConventionError(`${where} on '${eventType}': one target at most`);
          const targetNode = targets[0];
          if (targetNode && targetNode.parent !== region) throw new ConventionError(`${where} on '${eventType}': targets must be states of the same thread`);
          if (def.actions.length === 0 && (!targetNode || targetNode === node)) {
            throw new ConventionError(`${where} on '${eventType}': a step must change something (XState ignores a transition with no target and no actions)`);
          }
          return {
            guard: resolveGuard(def.guard, impl, `${where} on '${eventType}'`),
            target: targetNode ? thread.states.indexOf(targetNode.key) : thread.states.indexOf(node.key),
            assigns: def.actions.map((a) => resolveAssign(a, impl, `${where} on '${eventType}'`)),
            ...resolveAccess((def as { meta?: unknown }).meta, `${where} on '${eventType}'`),
          };
        });
        events.push({ action, candidates });
      }
      return events.sort((a, b) => a.action - b.action);
    });
  });
  return { actions, steps };
}
