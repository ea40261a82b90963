import { EdgeStore } from "./edgeStore.ts";
import { buildLasso } from "./lasso.ts";
import { FairCycleFinder, type Graph, singleLabels, TIMEOUT } from "./liveness.ts";
import type { MemoryBudget } from "./memory.ts";
import { recordedPredecessors, shortestPath } from "./levelPath.ts";
import type { Family } from "./propertyFamilies.ts";
import { LABEL_P, LABEL_Q } from "./search.ts";
import { NO_ROOM, StateStore } from "./stateStore.ts";
import { ThreadGroup } from "./threadGroup.ts";
import { concretize } from "./trace.ts";
import type { TransitionSystem } from "./TransitionSystem.ts";
import type { StopReason, ThreadSymmetry, Trace } from "./types.ts";

/** The representatives a search stored, and where its levels begin (levelPath.ts). */
export interface Representatives {
	readonly store: StateStore;
	readonly levelStarts: readonly number[];
}

/** A liveness violation found on representatives: the finder's `check` returned product node `witness` for `family`. */
export interface QuotientViolation {
	readonly finder: FairCycleFinder;
	readonly family: Family;
	readonly witness: number;
}

/**
 * A real fair lasso for a violation found under symmetry. The BFS path to the witness's
 * representative is replayed into a real path (`concretize`), which ends in a state X where the
 * instance of the property whose owner is the witness's owner, moved back, holds p and not q. From
 * X, the unreduced system is explored through the ¬q states whose representative can reach a fair
 * SCC (with the owner in some position) — by the lifting argument they hold a real fair SCC — and
 * the plain lasso builder runs on that graph (every other successor goes to one extra node
 * labelled q, so threads stay enabled where they are). Throws when that graph holds no fair SCC:
 * the symmetry does not commute with the system or the property family.
 */
export function liftLasso(
	system: TransitionSystem,
	symmetry: ThreadSymmetry,
	group: ThreadGroup,
	{ store: reps, levelStarts }: Representatives,
	violation: QuotientViolation,
	budget: MemoryBudget,
	deadline: number,
): Trace | StopReason {
	if (!reps.rebuildIndex()) return "max-memory";
	const { finder, family, witness } = violation;
	const k = family.members.length;
	const rep = (witness / k) | 0;
	const path = shortestPath(levelStarts, rep, recordedPredecessors(finder.g));
	const prefix = concretize(system, symmetry.canonicalize, path.ids.map((id) => reps.copyState(id)), path.actions);
	const start = prefix.states[prefix.states.length - 1] as Uint32Array;
	const canon = start.slice();
	const g = symmetry.canonicalize(canon);
	const owner = group.apply(group.inverse(g), family.owners[witness - rep * k] as number);
	const property = family.properties[family.owners.indexOf(owner)];
	system.load(start);
	if (property === undefined || property.q() || (property.kind === "leadsTo" && !property.p())) {
		throw new Error(`kvmcheck engine: internal error: the concrete witness of '${family.name}' does not violate it: the symmetry is probably not one of the property`);
	}
	const graph = exploreTowardFairCycles(system, symmetry, reps, violation, property.q, start, budget, deadline);
	if (typeof graph === "string") return graph;
	const { g: lifted, states } = graph;
	const labels = new Uint8Array(lifted.n);
	labels[0] = LABEL_P;
	labels[lifted.n - 1] = LABEL_Q;
	const lab = singleLabels(labels, 1, 0, lifted.group);
	const plain = FairCycleFinder.create(lifted, budget);
	if (plain === null) return "max-memory";
	const found = plain.check(lab, deadline);
	if (found === TIMEOUT) return "max-seconds";
	if (found !== 0) throw new Error(`kvmcheck engine: internal error: the violation of '${family.name}' found on representatives has no real fair lasso: the symmetry is probably not one of the system`);
	const lasso = buildLasso(plain, lab, { ids: [0], actions: [] });
	return {
		states: [...prefix.states, ...lasso.ids.slice(1).map((id) => states.copyState(id))],
		actions: [...prefix.actions, ...lasso.actions],
		loopStart: prefix.states.length - 1 + lasso.loopStart,
	};
}

/** Whether product node (rep, m) can reach a fair SCC for some member m. */
function someMemberReaches(finder: FairCycleFinder, rep: number, k: number): boolean {
	for (let m = 0; m < k; m++) if (finder.canReach[rep * k + m] === 1) return true;
	return false;
}

/**
 * The unreduced graph from `start` through the ¬q states (`q`: the instance of the property being
 * lifted) whose representative can reach a fair SCC with the owner in some position, plus a last node standing for every other successor. (The position the
 * canonicalizer gives the owner may differ, by a permutation that fixes the representative, from
 * the one the product search tracked along its edges, so every position is asked. Extra states cost
 * time, not soundness: any fair SCC among ¬q states is a violation.)
 */
function exploreTowardFairCycles(
	system: TransitionSystem,
	symmetry: ThreadSymmetry,
	reps: StateStore,
	violation: QuotientViolation,
	q: () => boolean,
	start: Uint32Array,
	budget: MemoryBudget,
	deadline: number,
): { g: Graph; states: StateStore } | StopReason {
	const { finder, family } = violation;
	const k = family.members.length;
	const words = system.stateWords;
	const states = StateStore.create(words, 0, Number.POSITIVE_INFINITY, budget);
	const edges = EdgeStore.create(budget, system.actions.length);
	if (states === null || edges === null || states.findOrAdd(start) === NO_ROOM) return "max-memory";
	const OTHER = -1;
	const buf = new Uint32Array(words);
	const canon = new Uint32Array(words);
	const next: Uint32Array[] = [];
	const nextActions: number[] = [];
	for (let id = 0; id < states.count; id++) {
		if (performance.now() > deadline) return "max-seconds";
		if (!edges.begin(id)) return "max-memory";
		states.load(id, buf);
		system.load(buf);
		next.length = 0;
		nextActions.length = 0;
		system.successors((action, s) => {
			next.push(s.slice());
			nextActions.push(action);
		});
		for (let i = 0; i < next.length; i++) {
			const s = next[i] as Uint32Array;
			let target = OTHER;
			system.load(s);
			if (!q()) {
				canon.set(s);
				symmetry.canonicalize(canon);
				const rep = reps.indexOf(canon);
				if (rep < 0) throw new Error("kvmcheck engine: internal error: a successor's representative was never stored: the symmetry is probably not one of the system");
				if (someMemberReaches(finder, rep, k)) {
					const r = states.findOrAdd(s);
					if (r === NO_ROOM) return "max-memory";
					target = r < 0 ? ~r : r;
				}
			}
			if (!edges.add(target, nextActions[i] as number)) return "max-memory";
		}
	}
	const other = states.count;
	for (let e = 0; e < edges.count; e++) if (edges.target[e] === OTHER) edges.target[e] = other;
	if (!edges.begin(other) || !edges.finish(other + 1)) return "max-memory";
	const { actionThread, threadCount } = finder.g;
	return {
		g: {
			n: other + 1,
			start: edges.start,
			target: edges.target,
			action: edges.action,
			actionThread,
			threadCount,
			element: null,
			group: ThreadGroup.trivial(threadCount),
		},
		states,
	};
}
