/**
 * Safety properties checked incrementally along a path: each conjunct of a property (properties.ts
 * `allOf`) is re-evaluated only when a field it read on its last evaluation has changed. A conjunct
 * is a pure function of the fields it reads, so its last value stands until one of them changes;
 * the fields it reads are recorded afresh on every evaluation (readTracking.ts), so a conjunct
 * that short-circuits on one state and reads further on the next is tracked exactly. After a step
 * of one thread, only the conjuncts that read one of the few fields the step changed run again.
 */
import { conjunctsOf, type ViewPredicate } from '../xstate/properties.ts';
import { createTrackingView, FieldRecorder } from '../xstate/readTracking.ts';
import type { MachineStepSystem } from '../xstate/stepMachine.ts';
import type { SafetyCheck } from './runner.ts';

/** A named safety predicate, as specs declare them (`always`). */
export interface SafetyPredicate {
  readonly name: string;
  readonly holds: ViewPredicate;
}

/**
 * One SafetyCheck per property of `system`'s states; `holds` must be given the loaded state (as
 * ScheduleRunner does). The checks share their conjuncts' values: the system reports the fields
 * each `load` changes (`watch`), which makes the conjuncts that read them dirty; `holds`
 * re-evaluates the dirty ones, then answers from the count of the property's false conjuncts.
 */
export function incrementalChecks(system: Pick<MachineStepSystem, 'layout' | 'watch'>, properties: readonly SafetyPredicate[]): SafetyCheck[] {
  const { layout } = system;
  const conjuncts: ViewPredicate[] = [];
  const propertyOf: number[] = [];
  properties.forEach((p, i) => {
    for (const c of conjunctsOf(p.holds)) {
      conjuncts.push(c);
      propertyOf.push(i);
    }
  });
  const n = conjuncts.length;
  const rec = new FieldRecorder(layout.fieldCount);
  const tracking = createTrackingView(layout, rec);
  const value = new Uint8Array(n).fill(1);
  const falseCount = new Int32Array(properties.length);
  // a conjunct's evaluations are numbered; readers[f] holds (conjunct, evaluation) pairs in its
  // first readersLength[f] numbers, and a pair is current while that evaluation is the conjunct's latest
  const evaluation = new Int32Array(n);
  const readers: number[][] = Array.from({ length: layout.fieldCount }, () => []);
  const readersLength = new Int32Array(layout.fieldCount);
  const compactAt = new Int32Array(layout.fieldCount).fill(8);
  const dirty = new Uint8Array(n).fill(1);
  const dirtyList = Int32Array.from({ length: n }, (_, c) => c);
  let dirtyCount = n;

  /** Field f changed: every conjunct that read it on its latest evaluation is dirty. */
  const changed = (f: number): void => {
    const pairs = readers[f]!;
    const length = readersLength[f]!;
    for (let i = 0; i < length; i += 2) {
      const c = pairs[i]!;
      if (evaluation[c] === pairs[i + 1] && dirty[c] === 0) {
        dirty[c] = 1;
        dirtyList[dirtyCount++] = c;
      }
    }
    // each one of them is re-evaluated and records its reads again
    readersLength[f] = 0;
  };

  const addReader = (f: number, c: number): void => {
    const pairs = readers[f]!;
    let length = readersLength[f]!;
    if (length >= compactAt[f]!) {
      // drop the pairs of evaluations that are no longer current (amortized: the list doubles first)
      let kept = 0;
      for (let i = 0; i < length; i += 2) {
        if (evaluation[pairs[i]!] !== pairs[i + 1]) continue;
        pairs[kept++] = pairs[i]!;
        pairs[kept++] = pairs[i + 1]!;
      }
      length = kept;
      compactAt[f] = Math.max(8, 2 * kept);
    }
    pairs[length] = c;
    pairs[length + 1] = evaluation[c]!;
    readersLength[f] = length + 2;
  };

  const evaluate = (c: number, state: Uint32Array): void => {
    rec.reset();
    tracking.point(state);
    const holds = conjuncts[c]!(tracking.view) ? 1 : 0;
    evaluation[c]!++;
    for (const f of rec.list) addReader(f, c);
    if (holds !== value[c]) {
      falseCount[propertyOf[c]!]! += holds === 1 ? -1 : 1;
      value[c] = holds;
    }
  };

  system.watch(changed);

  /** Brings every conjunct up to date with `state` (every one starts dirty, never evaluated). */
  const update = (state: Uint32Array): void => {
    while (dirtyCount > 0) {
      const c = dirtyList[dirtyCount - 1]!;
      evaluate(c, state);
      dirty[c] = 0;
      dirtyCount--;
    }
  };

  return properties.map((p, i) => ({
    name: p.name,
    holds: (state: Uint32Array) => {
      update(state);
      return falseCount[i] === 0;
    },
  }));
}
