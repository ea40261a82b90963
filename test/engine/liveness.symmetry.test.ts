import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explore } from "../../checker/engine/index.ts";
import type { Trace } from "../../checker/engine/types.ts";
import { testSeed } from "../fixtures/randomGraph.ts";
import { assertViolatingFairLasso, ownedProperties, randomSymmetric, type SymmetricSpec, symmetricSystem, symmetryOf } from "../fixtures/symmetricSystem.ts";

describe(`liveness under symmetry against the unreduced engine, on random symmetric systems (seed ${testSeed})`, () => {
	for (const kind of ["leadsTo", "eventually"] as const) {
		it(`${kind}: the same verdict on fewer states; a violation comes as a real fair lasso that violates one instance`, () => {
			const seen = { holds: 0, cycle: 0, stutter: 0, fewer: 0 };
			fc.assert(
				fc.property(randomSymmetric(), (spec) => {
					const sys = symmetricSystem(spec);
					const properties = ownedProperties(sys, spec, kind);
					const plain = explore(sys, properties, { checkDeadlock: false });
					const reduced = explore(sys, properties, { checkDeadlock: false, symmetry: symmetryOf(spec) });
					expect(reduced.warnings).toEqual([]);
					expect(reduced.verdict).toBe(plain.verdict);
					expect(reduced.states).toBeLessThanOrEqual(plain.states);
					if (reduced.states < plain.states) seen.fewer++;
					if (reduced.verdict === "holds") {
						seen.holds++;
						return;
					}
					const trace = reduced.trace as Trace;
					assertViolatingFairLasso(spec, trace, kind);
					if (trace.loopStart === trace.states.length - 1) seen.stutter++;
					else seen.cycle++;
				}),
				{ seed: testSeed, numRuns: 1500 },
			);
			expect(Math.min(seen.holds, seen.cycle, seen.stutter, seen.fewer)).toBeGreaterThan(50);
		});
	}

	// Found by comparing with the engine when it judges every thread on its own (no orbits): violations
	// whose only fair cycles have the two threads other than the owner trade roles along the cycle of
	// representatives (H swaps them), so each is served only in the other's role.
	it.each([
		{ threads: 3, locals: 3, shared: 2, actionsPerThread: 2, token: "any", step: [11, 0, 6, 10, 0, 6, 7, -1, 2, 3, 10, 11, 3, 3, 11, 8, 0, -1, 4, 6, 2, 3, 6, 1], p: [false, true, false, false, false, false], q: [true, false, false, false, true, true] },
		{ threads: 3, locals: 3, shared: 2, actionsPerThread: 1, token: "any", step: [4, 2, 6, 3, 8, 11, 0, 2, 5, 10, 5, 4], p: [true, true, false, false, false, true], q: [true, false, false, true, true, false] },
		{ threads: 3, locals: 2, shared: 2, actionsPerThread: 2, token: "any", step: [7, 0, 2, -1, 2, 4, 5, 1, 2, -1, 0, 4, -1, 5, 1, 2], p: [false, true, true, true], q: [false, true, true, false] },
	] as SymmetricSpec[])("a cycle fair only through an orbit of the permutations it composes is found (%#)", (spec) => {
		const sys = symmetricSystem(spec);
		const properties = ownedProperties(sys, spec, "leadsTo");
		expect(explore(sys, properties, { checkDeadlock: false }).verdict).toBe("violated");
		const reduced = explore(sys, properties, { checkDeadlock: false, symmetry: symmetryOf(spec) });
		expect(reduced).toMatchObject({ verdict: "violated", property: "live" });
		assertViolatingFairLasso(spec, reduced.trace as Trace, "leadsTo");
	});

	it("without owner threads the properties cannot follow the permutations: symmetry is turned off, with a warning", () => {
		const spec: SymmetricSpec = { threads: 2, locals: 2, shared: 1, actionsPerThread: 1, token: "none", step: [1, 0, 1, 0], p: [true, false], q: [false, true] };
		const sys = symmetricSystem(spec);
		const r = explore(sys, ownedProperties(sys, spec, "leadsTo", false), { symmetry: symmetryOf(spec) });
		expect(r.warnings).toEqual(["symmetry reduction was turned off: liveness property 'live' names no owner thread"]);
		expect(r).toMatchObject({ verdict: "holds", states: 4 });
	});
});
