/**
 * Self-contained HTML pages (inline CSS, script and SVG; nothing fetched at view time): a summary
 * page of runs, and a counterexample page with its swim-lane SVG and a step-through of the trace
 * (previous/next, slider, arrow keys, or a click on a step in the graph) showing every thread's
 * control state and every variable at the current step, the step's changes highlighted.
 */
import { type Counterexample, statesOf } from './counterexample.ts';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #202124; }
header { padding: 12px 20px; border-bottom: 1px solid #dadce0; background: #f8f9fa; }
h1 { font-size: 18px; margin: 0 0 4px; }
a { color: #1a73e8; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f1f3f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #c00000; font-weight: 600; }
.files a { margin-right: 12px; }
main.cex { display: grid; grid-template-columns: minmax(0, 1fr) 440px; }
#graph { overflow: auto; padding: 10px; border-right: 1px solid #dadce0; }
#graph svg { max-width: none; height: auto; }
#stepper { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; padding: 10px 14px; }
.controls { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; }
.controls input { flex: 1; }
#step-label { font-weight: 600; min-height: 2.8em; margin-bottom: 8px; }
#stepper table { width: 100%; margin-bottom: 12px; font: 12px/1.3 ui-monospace, monospace; }
tr.changed td { background: #fef7e0; font-weight: 600; }
#graph g.node { cursor: pointer; }
#graph g.current > path, #graph g.current > polygon { stroke: #e37400; stroke-width: 4px; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}

/** A summary row: its cells, and a link for the last cell (or null). */
export interface SummaryRow {
  readonly cells: readonly string[];
  readonly link: { readonly href: string; readonly text: string } | null;
  /** Marks the row as a problem (e.g. an unexpected verdict). */
  readonly bad: boolean;
}

export function summaryPage(title: string, header: readonly string[], rows: readonly SummaryRow[]): string {
  const numeric = (s: string): boolean => /^[0-9.]+$/.test(s);
  const tr = (r: SummaryRow): string =>
    `<tr${r.bad ? ' class="bad"' : ''}>${r.cells.map((c) => `<td${numeric(c) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}<td>${r.link ? `<a href="${escapeHtml(r.link.href)}">${escapeHtml(r.link.text)}</a>` : '—'}</td></tr>`;
  const table = `<table>\n<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.map(tr).join('\n')}\n</tbody>\n</table>`;
  return page(title, `<header><h1>${escapeHtml(title)}</h1></header>\n<main style="padding: 12px 20px">\n${table}\n</main>`);
}

export interface CounterexamplePageOptions {
  readonly title: string;
  /** One line under the title (configuration, figures). */
  readonly summary: string;
  /** The swim-lane graph: an `<svg>` element whose step nodes have ids `step-<k>`. */
  readonly svg: string;
  /** Links to the other renderings of this counterexample, and back to the summary. */
  readonly links: readonly { readonly href: string; readonly text: string }[];
}

/** Steps through the trace: renders state `i` (0 = initial) into the tables and the graph. */
const STEPPER_SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById('trace-data').textContent);
  const n = data.steps.length;
  const slider = document.getElementById('slider');
  const label = document.getElementById('step-label');
  const row = (name, value, changed) => {
    const tr = document.createElement('tr');
    if (changed) tr.className = 'changed';
    for (const text of [name, typeof value === 'string' ? value : JSON.stringify(value)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  };
  let current = 0;
  const show = (i) => {
    current = Math.max(0, Math.min(n, i));
    const state = data.states[current];
    const step = current > 0 ? data.steps[current - 1] : null;
    const loop = data.loopStart !== null && current - 1 === data.loopStart ? ' (the cycle starts here)' : '';
    label.textContent = step === null ? 'Step 0 of ' + n + ': the initial state' : 'Step ' + current + ' of ' + n + ': ' + step.thread + ' ' + step.action + loop;
    slider.value = String(current);
    const threads = document.querySelector('#threads tbody');
    threads.replaceChildren(...Object.entries(state.threads).map(([t, s]) => row(t, s, step !== null && step.thread === t)));
    const vars = document.querySelector('#vars tbody');
    vars.replaceChildren(...Object.entries(state.vars).map(([v, x]) => row(v, x, step !== null && v in step.changes)));
    for (const g of document.querySelectorAll('#graph g.current')) g.classList.remove('current');
    const node = document.getElementById('step-' + current);
    if (node) {
      node.classList.add('current');
      node.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  };
  document.getElementById('prev').addEventListener('click', () => show(current - 1));
  document.getElementById('next').addEventListener('click', () => show(current + 1));
  slider.addEventListener('input', () => show(Number(slider.value)));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') show(current - 1);
    if (e.key === 'ArrowRight') show(current + 1);
  });
  for (const g of document.querySelectorAll('#graph g[id^="step-"]')) g.addEventListener('click', () => show(Number(g.id.slice(5))));
  show(0);
})();
`;

export function counterexamplePage(cex: Counterexample, options: CounterexamplePageOptions): string {
  const data = { steps: cex.steps, states: statesOf(cex), loopStart: cex.loopStart };
  // inside <script>, "<" must not start "</script>"
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const links = options.links.map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>`).join('');
  const stepper = `<section id="stepper">
<div class="controls"><button id="prev" type="button">&#9664; previous</button><input id="slider" type="range" min="0" max="${cex.steps.length}" value="0" aria-label="step"><button id="next" type="button">next &#9654;</button></div>
<div id="step-label"></div>
<table id="threads"><thead><tr><th>thread</th><th>control state</th></tr></thead><tbody></tbody></table>
<table id="vars"><thead><tr><th>variable</th><th>value</th></tr></thead><tbody></tbody></table>
</section>`;
  const body = `<header><h1>${escapeHtml(options.title)}</h1><div>${escapeHtml(options.summary)}</div><nav class="files">${links}</nav></header>
<main class="cex">
<section id="graph">${options.svg}</section>
${stepper}
</main>
<script type="application/json" id="trace-data">${json}</script>
<script>${STEPPER_SCRIPT}</script>`;
  return page(options.title, body);
}
