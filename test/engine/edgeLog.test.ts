import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryBudget } from "../../checker/engine/memory.ts";
import { createLog, EdgeLog, growLog, type LogBuffers } from "../../checker/engine/parallel/edgeLog.ts";
import { testSeed } from "../fixtures/randomGraph.ts";

const bytesOf = (log: LogBuffers): number => [log.degrees, log.target, log.action, log.element].reduce((sum, b) => sum + (b?.byteLength ?? 0), 0);

describe(`edge logs under a memory budget (seed ${testSeed})`, () => {
	it("a growth the budget cuts short keeps what it grew, charged once, and the log says it does not hold what was asked", () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 70000 }),
				fc.boolean(),
				fc.integer({ min: 1024, max: 8192 }),
				fc.integer({ min: 16384, max: 65536 }),
				fc.integer({ min: 0, max: 400000 }),
				(actions, elements, states, edges, room) => {
					const first = createLog(new MemoryBudget(Number.POSITIVE_INFINITY), actions, elements) as LogBuffers;
					const budget = new MemoryBudget(bytesOf(first) + room);
					const log = createLog(budget, actions, elements) as LogBuffers;
					expect(budget.used).toBe(bytesOf(log));
					const { log: after, grown } = growLog(budget, actions, log, states, edges);
					expect(budget.used).toBe(bytesOf(after));
					const view = new EdgeLog(after, actions);
					const fits = view.degrees.length >= states && view.target.length >= edges && view.action.length >= edges && (view.element?.length ?? edges) >= edges;
					expect(view.holds(states, edges)).toBe(fits);
					expect(grown).toBe(fits);
				},
			),
			{ seed: testSeed, numRuns: 300 },
		);
	});
});
