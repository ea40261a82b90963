import type { StateStore } from "./stateStore.ts";
import type { TransitionSystem } from "./TransitionSystem.ts";
import type { Trace } from "./types.ts";

/** The trace of stored states `ids` (consecutive ones linked by `actions`), as fresh copies. */
export function traceOf(store: StateStore, ids: readonly number[], actions: readonly number[], loopStart: number | null): Trace {
	return { states: ids.map((id) => store.copyState(id)), actions: actions.slice(), loopStart };
}

/**
 * Re-concretizes a path of orbit representatives (found under symmetry reduction) into a real
 * path of the unreduced system: replays it from the concrete initial state, choosing at each
 * step a successor whose canonical form is the next representative (preferring the recorded
 * action). Throws when no such successor exists: then the model is nondeterministic or
 * `canonicalize` is not a symmetry of it.
 */
export function concretize(
	system: TransitionSystem,
	canonicalize: (state: Uint32Array) => void,
	reps: readonly Uint32Array[],
	actions: readonly number[],
): Trace {
	const words = system.stateWords;
	const init = new Uint32Array(words);
	system.initial(init);
	const canon = init.slice();
	canonicalize(canon);
	if (reps.length === 0 || !equal(canon, reps[0] as Uint32Array)) {
		throw new Error(
			"kvmcheck engine: symmetry replay failed at the initial state: its canonical form differs from the stored one " +
				"(nondeterministic model, or canonicalize is not a function of the state?)",
		);
	}
	const states: Uint32Array[] = [init];
	const chosenActions: number[] = [];
	let cur = init;
	for (let i = 0; i < actions.length; i++) {
		const wanted = actions[i] as number;
		const rep = reps[i + 1] as Uint32Array;
		let chosen: Uint32Array | null = null;
		let chosenAction = -1;
		system.load(cur);
		system.successors((action, next) => {
			if (chosenAction === wanted) return;
			canon.set(next);
			canonicalize(canon);
			if (equal(canon, rep) && (chosen === null || action === wanted)) {
				chosen = next.slice();
				chosenAction = action;
			}
		});
		if (chosen === null) {
			throw new Error(
				`kvmcheck engine: symmetry replay failed at step ${i + 1} of ${actions.length}: no successor of the concrete ` +
					"state canonicalizes to the stored representative. Probable cause: canonicalize is not a symmetry of the " +
					"system (it does not commute with the transition relation), or the model is nondeterministic.",
			);
		}
		states.push(chosen);
		chosenActions.push(chosenAction);
		cur = chosen;
	}
	return { states, actions: chosenActions, loopStart: null };
}

function equal(a: Uint32Array, b: Uint32Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}
