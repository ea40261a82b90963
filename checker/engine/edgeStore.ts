import type { MemoryBudget, TypedArrayCtor } from "./memory.ts";

/** The array type of the action ids of a system of `actions` actions: 16 bits each where they fit. */
export function actionIdArray(actions: number): TypedArrayCtor<Int32Array | Uint16Array> {
	return actions > 0x10000 ? Int32Array : Uint16Array;
}

/**
 * The explored transition graph in CSR form, recorded during the search for liveness analysis.
 * States must be expanded in increasing id order (as the BFS does): `begin(id)` opens the edge
 * list of `id`, `add` appends to it, `finish(n)` closes the lists of states 0..n-1. The edges of
 * `v` are then `target/action[start[v] .. start[v+1])`.
 */
export class EdgeStore {
	/** Per source id: index of its first edge; `start[n]` = number of edges after `finish(n)`. */
	start: Int32Array;
	/** Edge target ids. */
	target: Int32Array;
	/** Edge action ids (16 bits each where the system has at most 65,536 actions). */
	action: Int32Array | Uint16Array;
	/** Per edge, the symmetry element that canonicalized its target (only when created with `elements`). */
	element: Uint8Array | null;
	/** Number of edges recorded. */
	count = 0;
	private capacity = 4096;

	private constructor(
		private readonly budget: MemoryBudget,
		actions: number,
		elements: boolean,
	) {
		this.start = need(budget.alloc(Int32Array, 1024));
		this.target = need(budget.alloc(Int32Array, 4096));
		this.action = need(budget.alloc(actionIdArray(actions), 4096));
		this.element = elements ? need(budget.alloc(Uint8Array, 4096)) : null;
	}

	/**
	 * An empty edge store for a system of `actions` actions (recording each edge's symmetry element
	 * with `elements`), or null when the budget refuses its first arrays.
	 */
	static create(budget: MemoryBudget, actions: number, elements = false): EdgeStore | null {
		try {
			return new EdgeStore(budget, actions, elements);
		} catch (e) {
			if (e instanceof RangeError) return null;
			throw e;
		}
	}

	/** Opens the edge list of state `id`. False when out of memory. */
	begin(id: number): boolean {
		if (!this.roomForStates(id + 1)) return false;
		this.start[id] = this.count;
		return true;
	}

	/**
	 * Appends the edge lists of the `count` states from `first` on (the next ones to begin), copied
	 * from another explorer's record: their numbers of edges at `degrees[d ..]`, their edges one
	 * list after another from `target/action/element[x]` (`element` is read only when the store
	 * records elements). False when out of memory.
	 */
	appendStates(first: number, count: number, degrees: Int32Array, d: number, target: Int32Array, action: Int32Array | Uint16Array, element: Uint8Array | null, x: number): boolean {
		if (!this.roomForStates(first + count)) return false;
		const start = this.start;
		let total = 0;
		for (let i = 0; i < count; i++) {
			start[first + i] = this.count + total;
			total += degrees[d + i] as number;
		}
		while (this.count + total > this.capacity) if (!this.growEdges()) return false;
		this.target.set(target.subarray(x, x + total), this.count);
		this.action.set(action.subarray(x, x + total), this.count);
		if (this.element !== null && element !== null) this.element.set(element.subarray(x, x + total), this.count);
		this.count += total;
		return true;
	}

	/** Appends an edge to the open list (`element` is recorded when the store records elements). False when out of memory. */
	add(target: number, action: number, element = 0): boolean {
		const i = this.count;
		if (i === this.capacity && !this.growEdges()) return false;
		this.target[i] = target;
		this.action[i] = action;
		if (this.element !== null) this.element[i] = element;
		this.count = i + 1;
		return true;
	}

	/** Closes the edge lists of states 0..n-1 (all of which must have been begun). */
	finish(n: number): boolean {
		return this.begin(n);
	}

	/** Makes `start` hold entries 0..id. */
	private roomForStates(id: number): boolean {
		if (id < this.start.length) return true;
		const start = this.budget.grow(Int32Array, this.start, (id + 1) * 2);
		if (start === null) return false;
		this.start = start;
		return true;
	}

	private growEdges(): boolean {
		const size = this.capacity * 2;
		const target = this.budget.grow(Int32Array, this.target, size);
		if (target === null) return false;
		this.target = target;
		const action = this.budget.growSame(this.action, size);
		if (action === null) return false;
		this.action = action;
		if (this.element !== null) {
			const element = this.budget.grow(Uint8Array, this.element, size);
			if (element === null) return false;
			this.element = element;
		}
		this.capacity = size;
		return true;
	}
}

function need<T>(arr: T | null): T {
	if (arr === null) throw new RangeError("engine memory budget exhausted");
	return arr;
}
