/**
 * A counterexample as a Graphviz swim-lane graph (a sequence diagram): one column (lane) per
 * thread that takes a step, in thread order, headed by the thread and its initial control state;
 * one row per step, so time runs down the page and each step sits in its thread's lane; a
 * lifeline down each lane through its steps (program order); the communication edges of
 * communication.ts across lanes, labelled with what the earlier step wrote; the last step and a
 * final node naming the violated property in red.
 *
 * Layout: a grid of one cell per (lane, row), where a row without a step of that lane holds an
 * invisible point on the lifeline; the cells of a row are chained by invisible flat edges, which
 * fix the lane order (Graphviz keeps flat edges left to right; clusters would let cross edges
 * reorder the lanes). SVG ids: lane headers `lane-<thread>` (class `lane`), step k (1-based)
 * `step-<k>`, the final node `violation`.
 */
import { activeThreads, type Counterexample, statesOf } from './counterexample.ts';

export interface SwimlaneOptions {
  /** The graph's title (e.g. spec/variant and configuration). */
  readonly title: string;
  /** The violated property (the final node's label). */
  readonly property: string;
}

const LANE_COLORS = ['#e8f0fe', '#fef3e0', '#e6f4ea', '#f3e8fd', '#fde7e9', '#e0f7fa'];
const RED = '#c00000';

/** A DOT double-quoted string. */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** A left-justified multi-line DOT label (`\l` ends every line). */
function leftLabel(lines: readonly string[]): string {
  return `"${lines.map((l) => `${l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}\\l`).join('')}"`;
}

const show = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x));

/** The lanes: threads that take a step, in the order the system lists its threads. */
export function laneThreads(cex: Counterexample): string[] {
  const active = new Set(activeThreads(cex));
  return Object.keys(cex.initial.threads).filter((t) => active.has(t));
}

export function swimlaneDot(cex: Counterexample, options: SwimlaneOptions): string {
  const lanes = laneThreads(cex);
  const n = cex.steps.length;
  // cell (lane li, row r): row 0 is the header, row k+1 holds step k
  const cell = (li: number, r: number): string =>
    r === 0 ? `lane-${lanes[li]}` : cex.steps[r - 1]!.thread === lanes[li] ? `s${r - 1}` : `p${li}_${r}`;
  const out: string[] = [
    'digraph counterexample {',
    `  graph [newrank=true, rankdir=TB, nodesep=0.3, ranksep=0.22, fontname="Helvetica", fontsize=12, labelloc=t, label=${quote(options.title)}];`,
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  lanes.forEach((thread, li) => {
    const color = LANE_COLORS[li % LANE_COLORS.length]!;
    const lastRow = cex.steps.reduce((at, s, k) => (s.thread === thread ? k + 1 : at), 0);
    out.push(`  ${quote(cell(li, 0))} [id=${quote(cell(li, 0))}, class="lane", style="filled,bold", fillcolor="${color}", label=${quote(`${thread}\n${cex.initial.threads[thread]}`)}];`);
    for (let r = 1; r <= n; r++) {
      const id = cell(li, r);
      if (id.startsWith('s')) {
        const s = cex.steps[r - 1]!;
        const lines = [`${r}. ${s.action}`, `-> ${s.state}`, ...Object.entries(s.changes).map(([v, x]) => `${v} = ${show(x)}`)];
        const last = r === n ? `, color="${RED}", penwidth=2.5` : '';
        out.push(`  ${quote(id)} [id=${quote(`step-${r}`)}, fillcolor="${color}", label=${leftLabel(lines)}${last}];`);
      } else {
        out.push(`  ${quote(id)} [shape=point, width=0.01, height=0.01, style=invis, label=""];`);
      }
      // the lifeline ends at the lane's last step; below it the column is kept by invisible edges
      const clip = `${cell(li, r - 1).startsWith('p') ? ', tailclip=false' : ''}${id.startsWith('p') ? ', headclip=false' : ''}`;
      const line = r <= lastRow ? `color="#5f6368", arrowhead=${id.startsWith('s') ? 'normal' : 'none'}${clip}` : 'style=invis';
      out.push(`  ${quote(cell(li, r - 1))} -> ${quote(id)} [weight=100, ${line}];`);
    }
  });
  for (let r = 0; r <= n && lanes.length > 1; r++) {
    out.push(`  { rank=same; ${lanes.map((_, li) => quote(cell(li, r))).join(' -> ')} [style=invis]; }`);
  }
  for (const c of cex.communication) {
    const wrote = Object.keys(cex.steps[c.from]!.changes).join('\n');
    out.push(`  ${quote(`s${c.from}`)} -> ${quote(`s${c.to}`)} [color="#1a73e8", fontcolor="#1a73e8", penwidth=1.6, constraint=false, label=${quote(wrote)}];`);
  }
  if (cex.loopStart !== null && cex.loopStart < n) {
    out.push(`  ${quote(`s${n - 1}`)} -> ${quote(`s${cex.loopStart}`)} [style=dashed, color="${RED}", fontcolor="${RED}", constraint=false, label="repeats forever"];`);
  }
  out.push(...violationNode(cex, options.property, lanes.map((_, li) => cell(li, n))), '}');
  return `${out.join('\n')}\n`;
}

/** The final node below the grid: the property and the final control state of every thread. */
function violationNode(cex: Counterexample, property: string, bottomRow: readonly string[]): string[] {
  const final = statesOf(cex).at(-1)!;
  const n = cex.steps.length;
  const how = cex.loopStart === null ? 'violated' : cex.loopStart >= n ? 'violated: stutters here forever' : `violated: steps ${cex.loopStart + 1}..${n} repeat forever`;
  const lines = [`${property} ${how}`, ...Object.entries(final.threads).map(([t, s]) => `${t}: ${s}`)];
  const out = [`  "violation" [id="violation", shape=box, style="filled,bold", fillcolor="#fce8e6", color="${RED}", penwidth=2, label=${leftLabel(lines)}];`];
  for (const c of bottomRow) out.push(`  ${quote(c)} -> "violation" [style=invis];`);
  if (n > 0) out.push(`  "s${n - 1}" -> "violation" [color="${RED}", style=dashed];`);
  return out;
}
