/**
 * `--minimize switches`: replaces a safety counterexample by one of the same (shortest) length
 * with the fewest thread switches (checker/engine/minimizeSwitches.ts), searching the unreduced
 * system for any state that breaks the same property.
 */
import { type ExploreResult, minimizeSwitches, type Property, type TransitionSystem } from '../checker/engine/index.ts';

export type Minimize = 'switches';

/** The minimization searches at most this many (unreduced) states, then keeps the engine's trace. */
export const MINIMIZE_MAX_STATES = 1_000_000;

/** The states breaking `property` ('deadlock': no successor and not final), on the loaded state. */
function breaks(system: TransitionSystem, properties: readonly Property[], property: string): () => boolean {
  if (property === 'deadlock') {
    return () => {
      let successors = 0;
      system.successors(() => {
        successors++;
      });
      return successors === 0 && !system.isFinal();
    };
  }
  const p = properties.find((x) => x.name === property);
  if (p === undefined || p.kind !== 'always') throw new Error(`--minimize: '${property}' is not a safety property of this run`);
  return () => !p.holds();
}

/** `result` with its counterexample minimized, or with a warning saying why it was kept. */
export function minimizeResult(system: TransitionSystem, properties: readonly Property[], result: ExploreResult, minimize: Minimize | undefined): ExploreResult {
  const trace = result.trace;
  if (minimize === undefined || trace === null || result.property === null) return result;
  const warn = (w: string): ExploreResult => ({ ...result, warnings: [...result.warnings, w] });
  if (trace.loopStart !== null) return warn('--minimize switches applies to safety counterexamples; this lasso is kept as found');
  const m = minimizeSwitches(system, breaks(system, properties, result.property), trace.actions.length, { maxStates: MINIMIZE_MAX_STATES });
  if (m.kind === 'max-states') return warn(`--minimize switches gave up after ${MINIMIZE_MAX_STATES} states; the counterexample is the search's own`);
  if (m.kind === 'none') throw new Error(`--minimize switches found no path of ${trace.actions.length} steps breaking '${result.property}', but the search did`);
  return { ...result, trace: m.trace };
}
