import type { MemoryBudget } from "./memory.ts";
import { LABEL_P, LABEL_Q } from "./search.ts";

/** The explored graph in CSR form: the edges of `v` are `target/action[start[v] .. start[v+1])`. */
export interface Graph {
	readonly n: number;
	readonly start: Int32Array;
	readonly target: Int32Array;
	readonly action: Int32Array;
	/** Thread of each action id. */
	readonly actionThread: Int32Array;
	readonly threadCount: number;
}

/** Per-state p/q labels of one liveness property: bits of `labels[v * stride + index]`. */
export interface Labels {
	readonly labels: Uint8Array;
	readonly stride: number;
	readonly index: number;
}

/** `check` ran out of time. */
export const TIMEOUT = -2;

/**
 * Decides `p ~> q` under weak fairness per thread on a complete explored graph.
 *
 * A run violates it iff a reachable p∧¬q state reaches, through ¬q states only, a *fair* SCC of
 * the ¬q subgraph: a non-trivial SCC in which every thread either takes an internal edge or is
 * disabled (in the full graph) at some state, or a ¬q state with no successors (it stutters
 * forever). One iterative Tarjan pass over the part of the ¬q subgraph that p∧¬q states reach (a
 * p∧¬q state is the root of every search; what no such state reaches cannot matter); SCCs complete
 * in reverse topological order, so "can reach a fair SCC" is known for every successor SCC when an
 * SCC completes.
 * Work arrays are allocated once (via the budget) and reused across properties.
 */
export class FairCycleFinder {
	/** SCC id of each ¬q state that a p∧¬q state reaches through ¬q states (-1 for the others) after `check`. */
	readonly sccOf: Int32Array;
	/** 1 when SCC c is fair (a terminal state's singleton SCC is fair). */
	readonly sccFair: Uint8Array;
	/** 1 when the ¬q state (one that a p∧¬q state reaches) can reach a fair SCC through ¬q states. */
	readonly canReach: Uint8Array;
	/** Scratch arrays for the lasso builder too (free after `check`). */
	readonly scratchA: Int32Array;
	readonly scratchB: Int32Array;
	private readonly low: Int32Array;
	private readonly stack: Int32Array;
	private readonly callNode: Int32Array;
	private readonly callPos: Int32Array;
	/** Per thread: generation stamp of the last state where the thread was seen enabled. */
	readonly enabledStamp: Int32Array;
	private readonly satisfied: Uint8Array;
	private stamp = 0;

	private constructor(
		readonly g: Graph,
		budget: MemoryBudget,
	) {
		const n = g.n;
		const i32 = (): Int32Array => need(budget.alloc(Int32Array, n));
		const u8 = (): Uint8Array => need(budget.alloc(Uint8Array, n));
		this.sccOf = i32();
		this.sccFair = u8();
		this.canReach = u8();
		this.scratchA = i32();
		this.scratchB = i32();
		this.low = this.scratchB;
		this.stack = i32();
		this.callNode = i32();
		this.callPos = i32();
		this.enabledStamp = new Int32Array(g.threadCount).fill(-1);
		this.satisfied = new Uint8Array(g.threadCount);
	}

	/** A finder for `g`, or null when the budget refuses its work arrays. */
	static create(g: Graph, budget: MemoryBudget): FairCycleFinder | null {
		try {
			return new FairCycleFinder(g, budget);
		} catch (e) {
			if (e instanceof RangeError) return null;
			throw e;
		}
	}

	/**
	 * The least id (hence a state at minimal BFS depth) that is p∧¬q and can reach a fair SCC
	 * through ¬q states; -1 when the property holds; TIMEOUT past `deadline` (performance.now ms).
	 */
	check(lab: Labels, deadline: number): number {
		if (!this.tarjan(lab, deadline)) return TIMEOUT;
		const { labels, stride, index } = lab;
		for (let v = 0; v < this.g.n; v++) {
			const bits = labels[v * stride + index] as number;
			if ((bits & LABEL_P) !== 0 && (bits & LABEL_Q) === 0 && this.canReach[v] === 1) return v;
		}
		return -1;
	}

	/** Marks in `satisfied` every thread disabled at `v`. */
	markDisabled(v: number, satisfied: Uint8Array): void {
		const { start, action, actionThread, threadCount } = this.g;
		const s = ++this.stamp;
		for (let e = start[v] as number; e < (start[v + 1] as number); e++) {
			this.enabledStamp[actionThread[action[e] as number] as number] = s;
		}
		for (let t = 0; t < threadCount; t++) if (this.enabledStamp[t] !== s) satisfied[t] = 1;
	}

	private tarjan(lab: Labels, deadline: number): boolean {
		const { labels, stride, index: j } = lab;
		const { n, start, target } = this.g;
		const index = this.scratchA.fill(-1);
		const { low, stack, callNode, callPos, sccOf } = this;
		sccOf.fill(-1);
		this.canReach.fill(0);
		let counter = 0;
		let sccCount = 0;
		let top = 0;
		let steps = 0;
		for (let root = 0; root < n; root++) {
			if (index[root] !== -1 || ((labels[root * stride + j] as number) & (LABEL_P | LABEL_Q)) !== LABEL_P) continue;
			index[root] = low[root] = counter++;
			stack[top++] = root;
			callNode[0] = root;
			callPos[0] = start[root] as number;
			let call = 1;
			while (call > 0) {
				if ((++steps & 0xffff) === 0 && performance.now() > deadline) return false;
				const v = callNode[call - 1] as number;
				const pos = callPos[call - 1] as number;
				if (pos < (start[v + 1] as number)) {
					callPos[call - 1] = pos + 1;
					const w = target[pos] as number;
					if (((labels[w * stride + j] as number) & LABEL_Q) !== 0) continue;
					if (index[w] === -1) {
						index[w] = low[w] = counter++;
						stack[top++] = w;
						callNode[call] = w;
						callPos[call] = start[w] as number;
						call++;
					} else if (sccOf[w] === -1 && (index[w] as number) < (low[v] as number)) {
						low[v] = index[w] as number;
					}
				} else {
					call--;
					if (low[v] === index[v]) top = this.closeScc(v, top, sccCount++, lab);
					if (call > 0) {
						const u = callNode[call - 1] as number;
						if ((low[v] as number) < (low[u] as number)) low[u] = low[v] as number;
					}
				}
			}
		}
		return true;
	}

	/** Pops the SCC rooted at `v` off the Tarjan stack as SCC `c`; returns the new stack top. */
	private closeScc(v: number, top: number, c: number, lab: Labels): number {
		const { stack, sccOf, canReach } = this;
		let k = top - 1;
		while (stack[k] !== v) k--;
		for (let m = k; m < top; m++) sccOf[stack[m] as number] = c;
		const fair = this.isFair(k, top, c);
		this.sccFair[c] = fair ? 1 : 0;
		let reach = fair;
		if (!reach) reach = this.reachesOut(k, top, c, lab);
		if (reach) for (let m = k; m < top; m++) canReach[stack[m] as number] = 1;
		return k;
	}

	/** Whether some ¬q edge leaves SCC c (members `stack[k..top)`) for a state that can reach a fair SCC. */
	private reachesOut(k: number, top: number, c: number, lab: Labels): boolean {
		const { start, target } = this.g;
		const { labels, stride, index } = lab;
		for (let m = k; m < top; m++) {
			const u = this.stack[m] as number;
			for (let e = start[u] as number; e < (start[u + 1] as number); e++) {
				const w = target[e] as number;
				if (((labels[w * stride + index] as number) & LABEL_Q) !== 0) continue;
				if (this.sccOf[w] !== c && this.canReach[w] === 1) return true;
			}
		}
		return false;
	}

	/** Fairness of SCC c with members `stack[k..top)`. */
	private isFair(k: number, top: number, c: number): boolean {
		const { start, target, action, actionThread, threadCount } = this.g;
		const stack = this.stack;
		if (top - k === 1) {
			const v = stack[k] as number;
			const s = start[v] as number;
			const end = start[v + 1] as number;
			if (s === end) return true; // terminal: stutters forever
			let selfLoop = false;
			for (let e = s; e < end; e++) if (target[e] === v) selfLoop = true;
			if (!selfLoop) return false; // trivial SCC: no infinite run stays in it
		}
		const satisfied = this.satisfied.fill(0);
		for (let m = k; m < top; m++) {
			const u = stack[m] as number;
			for (let e = start[u] as number; e < (start[u + 1] as number); e++) {
				if (this.sccOf[target[e] as number] === c) satisfied[actionThread[action[e] as number] as number] = 1;
			}
			this.markDisabled(u, satisfied);
		}
		for (let t = 0; t < threadCount; t++) if (satisfied[t] === 0) return false;
		return true;
	}
}

function need<T>(arr: T | null): T {
	if (arr === null) throw new RangeError("engine memory budget exhausted");
	return arr;
}
