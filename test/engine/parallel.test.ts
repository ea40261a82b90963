import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { type ExploreResult, explore, exploreParallel, type SystemFactory } from "../../checker/engine/index.ts";
import type { EdgeStore } from "../../checker/engine/edgeStore.ts";
import type { LevelReport } from "../../checker/engine/parallel/control.ts";
import { bundleReduction, type SystemBundle } from "../../checker/engine/parallel/factory.ts";
import { ParallelSearch } from "../../checker/engine/parallel/ParallelSearch.ts";
import { storeInitial } from "../../checker/engine/parallel/exploreParallel.ts";
import { livenessProperties, Search } from "../../checker/engine/search.ts";
import { WorkerPool } from "../../checker/engine/parallel/WorkerPool.ts";
import { main, mainAsync } from "../../cli/main.ts";
import { asExpected, type RunResult, runVariant, runVariantParallel } from "../../cli/runSpec.ts";
import { guestMode } from "../../specs/guest-mode.ts";
import { naiveDistances, naiveLeadsTo } from "../fixtures/naive.ts";
import { counterBundle, FACTORIES, graphBundle, symmetricBundle } from "../fixtures/parallelFactories.ts";
import { randomGraph, testSeed } from "../fixtures/randomGraph.ts";
import { randomSymmetric, assertViolatingFairLasso } from "../fixtures/symmetricSystem.ts";
import { assertFairCycle, assertRealPath, nodesOf } from "../fixtures/traceCheck.ts";
import { unbounded } from "../fixtures/unbounded.ts";

const factory = (name: "graphBundle" | "counterBundle" | "symmetricBundle", args: unknown): SystemFactory => ({ module: FACTORIES, export: name, args });
type GraphArgs = Parameters<typeof graphBundle>[0];
type CounterArgs = Parameters<typeof counterBundle>[0];
type SymmetricArgs = Parameters<typeof symmetricBundle>[0];

function sequential(args: GraphArgs, checkDeadlock: boolean): ExploreResult {
	const { system, properties } = graphBundle(args);
	return explore(system, properties, { checkDeadlock });
}

function counters(args: CounterArgs, options: { maxStates?: number } = {}): ExploreResult {
	const { system, properties, canonicalize } = counterBundle(args);
	return explore(system, properties, { ...options, ...(canonicalize ? { canonicalize } : {}) });
}

/** The figures that must not depend on the number of threads. */
const figures = (r: ExploreResult) => ({ verdict: r.verdict, property: r.property, states: r.states, transitions: r.transitions, depth: r.depth });

/** A binary tree of 7 nodes whose 4 leaves each have `fan` successors, final leaves (levels of 1, 2, 4 and 4*fan states). */
function fanOutGraph(fan: number): GraphArgs {
	const succ: [number, number][][] = [[[0, 1], [1, 2]], [[0, 3], [1, 4]], [[0, 5], [1, 6]]];
	for (let v = 3; v <= 6; v++) succ[v] = Array.from({ length: fan }, (_, a): [number, number] => [a, 7 + (v - 3) * fan + a]);
	const leaves = Array.from({ length: 4 * fan }, (_, i) => 7 + i);
	return { spec: { nodes: 7 + 4 * fan, threads: 1, actionThreads: leaves.slice(0, fan).fill(0), succ, final: leaves }, bad: [] };
}

// Worker threads start loading only after the calling thread has explored for a while
// (startWorkersAfterSeconds), which these small runs never do: a first run starts them at once, and
// later runs take the released pool, whose workers then take part from their first level.
beforeAll(async () => {
	await exploreParallel(factory("counterBundle", { k: 2, n: 1 }), { workers: 2, startWorkersAfterSeconds: 0 });
});

describe(`exploreParallel vs explore on random graphs (seed ${testSeed})`, () => {
	it("2 workers: same verdict; 'holds' with the same states, transitions and depth; the least shortest counterexample", async () => {
		const seen = { holds: 0, good: 0, deadlock: 0 };
		await fc.assert(
			fc.asyncProperty(randomGraph(12), fc.boolean(), async ({ spec, bad }, checkDeadlock) => {
				const args: GraphArgs = { spec, bad: [...bad] };
				const seq = sequential(args, checkDeadlock);
				const par = await exploreParallel(factory("graphBundle", args), { workers: 2, checkDeadlock });
				expect(par.verdict).toBe(seq.verdict);
				expect(par.property).toBe(seq.property);
				if (seq.verdict === "holds") {
					seen.holds++;
					expect(figures(par)).toEqual(figures(seq));
					return;
				}
				const trace = par.trace as NonNullable<ExploreResult["trace"]>;
				assertRealPath(spec, trace);
				expect(trace.actions.length).toBe(seq.trace?.actions.length);
				// the violating state is the least (by its words; word 0 is the node) of its kind at that depth
				const dist = naiveDistances(spec);
				const final = new Set(spec.final ?? []);
				const violates = par.property === "good" ? (v: number) => bad.has(v) : (v: number) => (spec.succ[v] ?? []).length === 0 && !final.has(v);
				const least = Math.min(...[...dist].filter(([v, d]) => d === trace.actions.length && violates(v)).map(([v]) => v));
				expect(nodesOf(trace).at(-1)).toBe(least);
				seen[par.property === "good" ? "good" : "deadlock"]++;
			}),
			{ seed: testSeed, numRuns: 300 },
		);
		// Every outcome must be exercised, or the comparison above proves little (300 runs: each outcome more than 10 times on every one of 200 seeds tried; 200 runs fell short on 9 of them).
		expect(Math.min(seen.holds, seen.good, seen.deadlock)).toBeGreaterThan(10);
	});
});

describe("exploreParallel on the K^n counter", () => {
	it("a run takes the pool a finished run released (its worker already loaded)", async () => {
		const acquire = vi.spyOn(WorkerPool, "acquire");
		try {
			await exploreParallel(factory("counterBundle", { k: 3, n: 2 }), { workers: 2 });
			expect(acquire).toHaveBeenCalledTimes(1);
			expect(acquire.mock.results.map((r) => (r.value as WorkerPool).reused)).toEqual([true]);
		} finally {
			acquire.mockRestore();
		}
	});

	it("the worker thread explores part of the space, the calling thread the rest", async () => {
		const report = vi.spyOn(WorkerPool.prototype, "report");
		try {
			const par = await exploreParallel(factory("counterBundle", { k: 24, n: 4 }), { workers: 2 });
			const byWorker = await Promise.all(report.mock.results.map((r) => r.value as Promise<LevelReport>));
			const transitions = byWorker.reduce((sum, r) => sum + r.transitions, 0);
			expect(transitions).toBeGreaterThan(0);
			expect(transitions).toBeLessThan(par.transitions);
		} finally {
			report.mockRestore();
		}
	});

	it("1 and 2 workers give exactly the sequential states, transitions and depth (through several growths)", async () => {
		const args: CounterArgs = { k: 24, n: 4 };
		const seq = counters(args);
		expect(seq.states).toBe(24 ** 4);
		for (const workers of [1, 2]) {
			const par = await exploreParallel(factory("counterBundle", args), { workers });
			expect(figures(par)).toEqual(figures(seq));
			expect(par.warnings).toEqual([]);
		}
	});

	it("a level that outgrows the store mid-way (a fan-out of 3000 after a branching of 2) pauses, grows and gives the same figures", async () => {
		// levels of 1, 2, 4 and 12000 states: the first capacity (4096) and the estimate from branching 2 are both too small
		const fan = 3000;
		const args = fanOutGraph(fan);
		const par = await exploreParallel(factory("graphBundle", args), { workers: 2 });
		expect(figures(par)).toEqual(figures(sequential(args, true)));
		expect(par.states).toBe(7 + 4 * fan);
	});

	it("under symmetry: the same reduced state count, and a shortest counterexample re-concretized into a real path", async () => {
		const args: CounterArgs = { k: 8, n: 4, symmetric: true, limit: 13 };
		const seq = counters(args);
		const par = await exploreParallel(factory("counterBundle", args), { workers: 2 });
		expect(par).toMatchObject({ verdict: "violated", property: "below" });
		expect(seq.verdict).toBe("violated");
		const trace = par.trace as NonNullable<ExploreResult["trace"]>;
		expect(trace.actions).toHaveLength(13);
		trace.actions.forEach((a, i) => {
			const before = trace.states[i] as Uint32Array;
			const after = trace.states[i + 1] as Uint32Array;
			expect(Array.from(after, (x, j) => x - (before[j] as number))).toEqual(Array.from(after, (_, j) => (j === a ? 1 : 0)));
		});
		const holding = { k: 8, n: 4, symmetric: true };
		expect(figures(await exploreParallel(factory("counterBundle", holding), { workers: 2 }))).toEqual(figures(counters(holding)));
	});

	it("a deadlock is found at the least depth", async () => {
		const args: CounterArgs = { k: 5, n: 3, finalAtMax: false };
		const par = await exploreParallel(factory("counterBundle", args), { workers: 2 });
		expect(par).toMatchObject({ verdict: "violated", property: "deadlock" });
		expect(par.trace?.states.at(-1)).toEqual(Uint32Array.of(4, 4, 4));
		expect(par.trace?.actions).toHaveLength(12);
	});
});

const bundles = { graphBundle, counterBundle, symmetricBundle };

/** A liveness run's search by 2 explorers (the calling thread and a worker thread, from the first level), over the bundle of factory `name`. */
async function recordedInParallel<N extends keyof typeof bundles>(name: N, args: Parameters<(typeof bundles)[N]>[0]): Promise<ParallelSearch> {
	const bundle = (bundles[name] as (a: typeof args) => SystemBundle)(args);
	const { system } = bundle;
	const liveness = livenessProperties(bundle.properties);
	const reduction = bundleReduction(bundle, []);
	const bounds = unbounded();
	const search = ParallelSearch.create(bundle, {
		...bounds,
		factory: factory(name, args),
		workers: 2,
		stateWords: system.stateWords,
		actions: system.actions.length,
		startWorkersAt: bounds.startTime,
		liveness: liveness.length,
		recordElements: reduction.symmetry !== null,
	}) as ParallelSearch;
	expect(storeInitial(search, system, reduction.canonicalize, liveness)).toBe(true);
	await search.run();
	return search;
}

/** The same run by the sequential Search. */
function recordedSequentially(bundle: SystemBundle): Search {
	const liveness = livenessProperties(bundle.properties);
	const reduction = bundleReduction(bundle, []);
	const search = Search.create(bundle.system, {
		...unbounded(),
		safety: [],
		liveness,
		canonicalize: reduction.canonicalize,
		recordElements: reduction.symmetry !== null,
	}) as Search;
	search.run();
	return search;
}

/** The parallel search recorded the sequential one's levels, labels and edges (targets, actions, elements, in order), its ids renamed by their states' words. */
function expectSameGraph(par: ParallelSearch, seq: Search): void {
	const n = seq.store.count;
	expect(par.store.count).toBe(n);
	expect(par.levelStarts).toEqual(seq.levelStarts);
	const a = par.edges as EdgeStore;
	const b = seq.edges as EdgeStore;
	const toSeq = Int32Array.from({ length: n }, (_, v) => seq.store.indexOf(par.store.copyState(v)));
	const stride = seq.store.labelStride;
	const edgesOf = (e: EdgeStore, v: number, rename: (w: number) => number): number[][] =>
		Array.from({ length: (e.start[v + 1] as number) - (e.start[v] as number) }, (_, i) => {
			const k = (e.start[v] as number) + i;
			return [rename(e.target[k] as number), e.action[k] as number, e.element?.[k] ?? 0];
		});
	for (let v = 0; v < n; v++) {
		const w = toSeq[v] as number;
		expect(w).toBeGreaterThanOrEqual(0);
		expect(par.store.labels.subarray(v * stride, (v + 1) * stride)).toEqual(seq.store.labels.subarray(w * stride, (w + 1) * stride));
		expect(edgesOf(a, v, (t) => toSeq[t] as number)).toEqual(edgesOf(b, w, (t) => t));
	}
}

describe(`exploreParallel: liveness (seed ${testSeed})`, () => {
	it("random graphs: the verdict of a quadratic reference, a real fair lasso, the sequential engine's figures", async () => {
		const seen = { holds: 0, violated: 0 };
		await fc.assert(
			fc.asyncProperty(randomGraph(12), async ({ spec, p, q }) => {
				const args: GraphArgs = { spec, p: [...p], q: [...q] };
				const { system, properties } = graphBundle(args);
				const seq = explore(system, properties, { checkDeadlock: false });
				const par = await exploreParallel(factory("graphBundle", args), { workers: 2, checkDeadlock: false });
				expect(figures(par)).toEqual(figures(seq));
				expect(par.warnings).toEqual([]);
				expect(par.verdict).toBe(naiveLeadsTo(spec, p, q) === null ? "holds" : "violated");
				seen[par.verdict === "holds" ? "holds" : "violated"]++;
				if (par.verdict === "holds") return;
				const trace = par.trace as NonNullable<ExploreResult["trace"]>;
				assertRealPath(spec, trace);
				assertFairCycle(spec, trace);
			}),
			{ seed: testSeed, numRuns: 200 },
		);
		expect(Math.min(seen.holds, seen.violated)).toBeGreaterThan(10);
	});

	for (const kind of ["leadsTo", "eventually"] as const) {
		it(`random symmetric systems, ${kind}, reduced or not: the sequential engine's verdict and figures, a real fair lasso`, async () => {
			const seen = { holds: 0, violated: 0 };
			await fc.assert(
				fc.asyncProperty(randomSymmetric(), fc.boolean(), async (spec, reduce) => {
					const args: SymmetricArgs = { spec, kind, reduce };
					const { system, properties, symmetry } = symmetricBundle(args);
					const seq = explore(system, properties, { checkDeadlock: false, ...(symmetry ? { symmetry } : {}) });
					const par = await exploreParallel(factory("symmetricBundle", args), { workers: 2, checkDeadlock: false });
					expect(figures(par)).toEqual(figures(seq));
					expect([par.symmetry, par.warnings]).toEqual([seq.symmetry, seq.warnings]);
					seen[par.verdict === "holds" ? "holds" : "violated"]++;
					if (par.verdict === "violated") assertViolatingFairLasso(spec, par.trace as NonNullable<ExploreResult["trace"]>, kind);
				}),
				{ seed: testSeed, numRuns: 100 },
			);
			expect(Math.min(seen.holds, seen.violated)).toBeGreaterThan(10);
		});
	}

	it("the explorers record the sequential search's graph and labels, up to the order of ids within a level; the worker thread records its part", async () => {
		const report = vi.spyOn(WorkerPool.prototype, "report");
		try {
			const workerChunks = async (): Promise<number> => {
				const byWorker = await Promise.all(report.mock.results.map((r) => r.value as Promise<LevelReport>));
				report.mockClear();
				return byWorker.reduce((sum, r) => sum + (r.log?.chunks.length ?? 0) / 2, 0);
			};
			const counter: CounterArgs = { k: 12, n: 4, live: true };
			expectSameGraph(await recordedInParallel("counterBundle", counter), recordedSequentially(counterBundle(counter)));
			expect(await workerChunks()).toBeGreaterThan(10);
			for (const spec of fc.sample(randomSymmetric(), { seed: testSeed, numRuns: 20 })) {
				const args: SymmetricArgs = { spec, kind: "leadsTo", reduce: true };
				expectSameGraph(await recordedInParallel("symmetricBundle", args), recordedSequentially(symmetricBundle(args)));
			}
			expect(await workerChunks()).toBeGreaterThan(0);
		} finally {
			report.mockRestore();
		}
	});

	it("a state or memory bound stops a liveness run with 'incomplete' where, unbounded, it holds", async () => {
		const args: CounterArgs = { k: 24, n: 4, live: true };
		const holds = await exploreParallel(factory("counterBundle", args), { workers: 2 });
		expect(holds.verdict).toBe("holds");
		for (const maxMemoryBytes of [1e6, 2e7]) {
			const r = await exploreParallel(factory("counterBundle", args), { workers: 2, maxMemoryBytes });
			expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-memory" });
		}
		const r = await exploreParallel(factory("counterBundle", args), { workers: 2, maxStates: holds.states - 1 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-states" });
	});

	it("an explorer whose edge log fills grows it (or pauses for it) and the level goes on", async () => {
		// 4 states of 9000 edges each in one level, where a first log holds 16384 edges: an explorer that takes two needs more
		const args = { ...fanOutGraph(9000), p: [0], q: [] };
		expectSameGraph(await recordedInParallel("graphBundle", args), recordedSequentially(graphBundle(args)));
	});
});

describe("exploreParallel: bounds", () => {
	const k3n4 = factory("counterBundle", { k: 3, n: 4 });

	it("maxStates equal to the state count completes; one less stops with 'incomplete' after exactly that many", async () => {
		expect((await exploreParallel(k3n4, { workers: 2, maxStates: 81 })).verdict).toBe("holds");
		const r = await exploreParallel(k3n4, { workers: 2, maxStates: 80 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-states", states: 80, trace: null });
		expect(await exploreParallel(k3n4, { workers: 2, maxStates: 0 })).toMatchObject({ verdict: "incomplete", states: 0 });
	});

	it("maxSeconds and maxMemoryBytes stop with 'incomplete'", async () => {
		const big = factory("counterBundle", { k: 10, n: 5 });
		expect(await exploreParallel(big, { workers: 2, maxSeconds: 0 })).toMatchObject({ verdict: "incomplete", stoppedBy: "max-seconds" });
		const r = await exploreParallel(big, { workers: 2, maxMemoryBytes: 200_000 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-memory" });
		expect(r.states).toBeGreaterThan(0);
		expect(r.states).toBeLessThan(100_000);
	});

	it("a bound hit in a level that found no violation stops the run there: the rest of the level is not expanded", async () => {
		// levels of 1, 2 and 4 states, then 4 states with 3000 successors each: the store fills during the first of those
		const fan = 3000;
		const args = fanOutGraph(fan);
		const r = await exploreParallel(factory("graphBundle", args), { workers: 2, maxStates: 100 });
		expect(r).toMatchObject({ verdict: "incomplete", stoppedBy: "max-states", states: 100 });
		// each explorer finishes the state it is expanding (one chunk: one state here), no more
		expect(r.transitions).toBeLessThanOrEqual(6 + 2 * fan);
	});

	it("a violation found in the level that hit the bound is still a shortest one", async () => {
		const r = await exploreParallel(factory("counterBundle", { k: 10, n: 4, limit: 3 }), { workers: 2, maxStates: 30 });
		expect(r).toMatchObject({ verdict: "violated", property: "below", stoppedBy: null });
		expect(r.trace?.actions).toHaveLength(3);
	});

	it("rejects invalid options", async () => {
		await expect(exploreParallel(k3n4, { workers: 0 })).rejects.toThrow(/workers must be a positive integer/);
		await expect(exploreParallel(k3n4, { workers: 2, maxStates: -1 })).rejects.toThrow(/maxStates/);
		await expect(exploreParallel(k3n4, { workers: 2, startWorkersAfterSeconds: -1 })).rejects.toThrow(/startWorkersAfterSeconds/);
	});
});

describe("exploreParallel: failures", () => {
	const spec = { nodes: 3, threads: 1, actionThreads: [0], succ: [[[0, 1]], [[0, 2]], [[0, 0]]] as [number, number][][] };

	it("a factory without the export, or a system that throws in a worker, rejects; the next run still works", async () => {
		await expect(exploreParallel({ module: FACTORIES, export: "nothing", args: {} }, { workers: 2 })).rejects.toThrow(/no function export 'nothing'/);
		await expect(exploreParallel(factory("graphBundle", { spec, failAt: 1 }), { workers: 2 })).rejects.toThrow(/node 1 fails/);
		expect((await exploreParallel(factory("graphBundle", { spec }), { workers: 2 })).states).toBe(3);
	});
});

describe("guest-mode 2x2 (safety): the sequential engine and 2 workers agree", () => {
	const config = { vcpus: 2, requesters: 2 };
	for (const name of ["kernel", "rfc-1-6"]) {
		for (const symmetry of [true, false]) {
			it(`${name}, symmetry ${symmetry ? "on" : "off"}`, async () => {
				const variant = guestMode.variants.find((v) => v.name === name);
				if (!variant) throw new Error(`no variant ${name}`);
				const options = { symmetry, properties: "safety" as const };
				const seq = runVariant(guestMode, variant, config, options);
				const par = await runVariantParallel(guestMode, variant, config, { ...options, workers: 2 });
				expect(asExpected(par)).toBe(true);
				expect(par.workers).toBe(2);
				expect([par.verdict, par.property, par.symmetry]).toEqual([seq.verdict, seq.property, seq.symmetry]);
				expect(par.counterexample?.steps.length).toBe(seq.counterexample?.steps.length);
				if (seq.verdict === "holds") expect([par.states, par.transitions, par.depth]).toEqual([seq.states, seq.transitions, seq.depth]);
			});
		}
	}
});

describe("kvmcheck check --workers", () => {
	const argv = ["check", "guest-mode", "--variant", "rfc-1-6", "--vcpus", "2", "--requesters", "2", "--memory-model", "sc", "--properties", "safety", "--json"];

	it("--workers 2 runs through exploreParallel: exit 0, the same JSON fields, workers 2", async () => {
		const out: string[] = [];
		const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
			out.push(a.join(" "));
		});
		try {
			expect(await mainAsync([...argv, "--workers", "2"])).toBe(0);
		} finally {
			log.mockRestore();
		}
		const runs = JSON.parse(out.join("\n")) as RunResult[];
		expect(runs.map((r) => [r.verdict, r.property, r.workers])).toEqual([["violated", "no-missed-wait", 2]]);
	});

	it("a bad --workers, or --workers through the synchronous entry, exits 2 with one line", () => {
		const err: string[] = [];
		const write = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
			err.push(String(s));
			return true;
		});
		try {
			expect(main([...argv, "--workers", "0"])).toBe(2);
			expect(main([...argv, "--workers", "2"])).toBe(2);
		} finally {
			write.mockRestore();
		}
		expect(err.join("").trim().split("\n")).toHaveLength(2);
	});
});
