/** Human-readable counterexamples: a step table with only the variables each step changed. */
import { type Counterexample, statesOf } from './counterexample.ts';
import { formatTable } from './table.ts';

const show = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x));

export function formatChanges(changes: Readonly<Record<string, unknown>>, omit: ReadonlySet<string> = new Set()): string {
  return Object.entries(changes)
    .filter(([k]) => !omit.has(k))
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(' ');
}

export interface FormatOptions {
  /**
   * Variables shown as columns of their own ("lane variables", e.g. one per thread): each row
   * shows the value after the step, with a `*` where the step changed it. They are left out of
   * the changes column. Names the trace does not have are ignored.
   */
  readonly columns?: readonly string[];
}

export function formatCounterexample(cex: Counterexample, options: FormatOptions = {}): string {
  const columns = (options.columns ?? []).filter((c) => c in cex.initial.vars);
  const omit = new Set(columns);
  const states = statesOf(cex);
  const rows = cex.steps.map((s, i) => [
    `${i + 1}${cex.loopStart !== null && i === cex.loopStart ? ' (loop)' : ''}`,
    s.thread,
    s.action,
    s.state,
    ...columns.map((c) => `${show(states[i + 1]!.vars[c])}${c in s.changes ? '*' : ''}`),
    formatChanges(s.changes, omit),
  ]);
  const initial = ['0', '', '(initial)', '', ...columns.map((c) => show(cex.initial.vars[c])), ''];
  const tail =
    cex.loopStart !== null && cex.loopStart >= cex.steps.length ? '\n(then stutters forever in the last state)' : cex.loopStart !== null ? `\n(steps ${cex.loopStart + 1}..${cex.steps.length} repeat forever)` : '';
  const observed = cex.communication.map((c) => `${c.from + 1}->${c.to + 1}`).join(' ');
  const communication = observed === '' ? '' : `\ncommunication (step j of one thread ordered after step i of another, i->j): ${observed}`;
  return formatTable(['step', 'thread', 'action', 'now in', ...columns, 'changes'], columns.length > 0 ? [initial, ...rows] : rows) + tail + communication;
}
