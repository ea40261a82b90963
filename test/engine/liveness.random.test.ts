import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explore } from "../../checker/engine/index.ts";
import type { Property } from "../../checker/engine/TransitionSystem.ts";
import { graphSystem } from "../fixtures/graphSystem.ts";
import { naiveLeadsTo } from "../fixtures/naive.ts";
import { randomGraph, testSeed } from "../fixtures/randomGraph.ts";
import { assertFairCycle, assertRealPath, nodesOf } from "../fixtures/traceCheck.ts";

describe(`liveness vs a quadratic reference on random graphs (seed ${testSeed})`, () => {
	for (const kind of ["leadsTo", "eventually"] as const) {
		it(`${kind}: same verdict; the lasso is real, fair, stays in ¬q, and its stem is shortest`, () => {
			const seen = { holds: 0, cycle: 0, stutter: 0 };
			fc.assert(
				fc.property(randomGraph(9), ({ spec, p: pSet, q }) => {
					const sys = graphSystem(spec);
					const p = kind === "eventually" ? new Set([spec.initial ?? 0]) : pSet;
					const prop: Property =
						kind === "eventually"
							? { kind, name: "live", q: () => q.has(sys.node()) }
							: { kind, name: "live", p: () => p.has(sys.node()), q: () => q.has(sys.node()) };
					const r = explore(sys, [prop], { checkDeadlock: false });
					const expected = naiveLeadsTo(spec, p, q);
					if (expected === null) {
						seen.holds++;
						expect(r).toMatchObject({ verdict: "holds", trace: null, property: null });
						return;
					}
					expect(r).toMatchObject({ verdict: "violated", property: "live" });
					const trace = r.trace as NonNullable<typeof r.trace>;
					assertRealPath(spec, trace);
					expect(trace.loopStart).not.toBeNull();
					assertFairCycle(spec, trace);
					const nodes = nodesOf(trace);
					const loopStart = trace.loopStart as number;
					if (loopStart === nodes.length - 1) seen.stutter++;
					else seen.cycle++;
					// The earliest position from which the run is ¬q forever must hold a p state at the shortest distance.
					let from = nodes.length - 1;
					while (from > 0 && !q.has(nodes[from - 1] as number)) from--;
					expect(from).toBeLessThanOrEqual(loopStart);
					for (let i = from; i < nodes.length; i++) expect(q.has(nodes[i] as number)).toBe(false);
					let first = from;
					while (!p.has(nodes[first] as number)) first++;
					expect(first).toBe(expected);
				}),
				{ seed: testSeed, numRuns: 2500 },
			);
			expect(Math.min(seen.holds, seen.cycle, seen.stutter)).toBeGreaterThan(100);
		});
	}
});

describe(`several liveness properties at once (seed ${testSeed})`, () => {
	it("each of up to 9 properties (labels packed four to a byte) gets the verdict it gets alone; the first violated one is reported", () => {
		fc.assert(
			fc.property(randomGraph(7), fc.array(fc.tuple(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 127 })), { minLength: 1, maxLength: 9 }), ({ spec }, masks) => {
				const sys = graphSystem(spec);
				const props: Property[] = masks.map(([pMask, qMask], i) => ({
					kind: "leadsTo",
					name: `live${i}`,
					p: () => ((pMask >> sys.node()) & 1) === 1,
					q: () => ((qMask >> sys.node()) & 1) === 1,
				}));
				const verdicts = props.map((prop) => explore(sys, [prop], { checkDeadlock: false }).verdict);
				const together = explore(sys, props, { checkDeadlock: false });
				const first = verdicts.indexOf("violated");
				expect(together.verdict).toBe(first < 0 ? "holds" : "violated");
				expect(together.property).toBe(first < 0 ? null : `live${first}`);
			}),
			{ seed: testSeed, numRuns: 500 },
		);
	});
});
