/**
 * `kvmcheck check --out DIR [--graph]`: writes, for each violation, NAME.txt (the step table),
 * NAME.itf.json (ITF), NAME.dot and NAME.svg (the swim-lane graph) and NAME.html (the graph with
 * a step-through), NAME = spec-variant-property; DIR/index.html summarizes every run. With
 * `--graph`, also NAME.graph.dot and NAME.graph.json (NAME = spec-variant): the whole reachable
 * state graph, refused above STATE_GRAPH_MAX_STATES states.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Counterexample, threadSwitchCount } from '../checker/report/counterexample.ts';
import { swimlaneDot } from '../checker/report/dot.ts';
import { counterexamplePage, type SummaryRow, summaryPage } from '../checker/report/html.ts';
import { toItf } from '../checker/report/itf.ts';
import { exploreStateGraph, type StateGraph, stateGraphDot } from '../checker/report/stateGraph.ts';
import { formatCounterexample } from '../checker/report/text.ts';
import { symmetryCanonicalizer } from '../checker/xstate/index.ts';
import { renderSvgs, svgElement } from './reportSvg.ts';
import { asExpected, type Explored, type RunResult } from './runSpec.ts';

/** Bad input found while writing a report (an unwritable DIR, a state graph too large): one line, exit 2. */
export class ReportInputError extends Error {}

/** `--graph` refuses systems with more states than this (the DOT would be unreadable anyway). */
export const STATE_GRAPH_MAX_STATES = 20_000;

/** Paths of the files written for one run (null where nothing was written). */
export interface ReportFiles {
  readonly txt: string | null;
  readonly itf: string | null;
  readonly dot: string | null;
  readonly svg: string | null;
  readonly html: string | null;
  readonly graphDot: string | null;
  readonly graphJson: string | null;
}

/**
 * The lane variables of the KVM specs: `mode[<thread>]` (vcpu->mode) of every thread that has one,
 * shown as a column each so the eye can follow OUTSIDE/IN/EXITING/READING_SHADOW_PAGE_TABLES.
 */
export function laneColumns(cex: Counterexample): string[] {
  return Object.keys(cex.initial.threads)
    .map((t) => `mode[${t}]`)
    .filter((v) => v in cex.initial.vars);
}

const runName = (run: RunResult): string => `${run.spec}/${run.variant} (${run.vcpus} vCPUs x ${run.requesters} requesters${run.memoryModel === 'sc' ? '' : `, ${run.memoryModel}`})`;
/** The variant in file names: runs of one variant under several memory models must not share files. */
const fileVariant = (run: RunResult): string => (run.memoryModel === 'sc' ? run.variant : `${run.variant}-${run.memoryModel}`);

/** The counterexample as text: a heading, the step table with lane columns, the communication. */
export function counterexampleText(run: RunResult): string {
  const cex = run.counterexample;
  if (cex === null) return '';
  const switches = threadSwitchCount(cex);
  const heading = `${runName(run)}: ${run.property} violated — counterexample, ${cex.steps.length} steps, ${switches} thread switch${switches === 1 ? '' : 'es'}:`;
  return `${heading}\n${formatCounterexample(cex, { columns: laneColumns(cex) })}`;
}

/** File names are spec-variant[-property] with anything but [A-Za-z0-9._-] replaced by '_'. */
const fileName = (...parts: string[]): string => parts.join('-').replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Collects the state graphs for `--graph` while the runs' systems are alive (RunOptions.onExplored);
 * `collect` throws ReportInputError when a system has too many states.
 */
export class StateGraphCollector {
  readonly graphs: StateGraph[] = [];

  constructor(private readonly symmetry: boolean) {}

  readonly collect = (explored: Explored): void => {
    const { system, properties, trace } = explored;
    const graph = exploreStateGraph(system, {
      maxStates: STATE_GRAPH_MAX_STATES,
      canonicalize: this.symmetry ? symmetryCanonicalizer(system.layout) : null,
      invariants: properties.flatMap((p) => (p.kind === 'always' ? [p] : [])),
      trace,
    });
    if (graph === null) {
      throw new ReportInputError(`--graph: more than ${STATE_GRAPH_MAX_STATES} reachable states${this.symmetry ? ' (with symmetry reduction)' : ''}; try fewer --vcpus/--requesters`);
    }
    this.graphs.push(graph);
  };
}

function write(path: string, text: string): string {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new ReportInputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return path;
}

/** How the summary table shows a run (the CLI's own summary columns). */
export interface SummaryFormat {
  readonly header: readonly string[];
  readonly row: (run: RunResult) => string[];
}

interface Violation {
  readonly run: RunResult;
  readonly cex: Counterexample;
  readonly property: string;
  /** File name without extension. */
  readonly name: string;
}

const NO_FILES: ReportFiles = { txt: null, itf: null, dot: null, svg: null, html: null, graphDot: null, graphJson: null };

/** Writes the five files of one violation, given its DOT and rendered SVG. */
function writeViolation(dir: string, v: Violation, dot: string, svg: string): ReportFiles {
  const { run, cex, property, name } = v;
  const file = (ext: string): string => join(dir, `${name}${ext}`);
  const source = `kvmcheck check ${run.spec} --variant ${run.variant} --vcpus ${run.vcpus} --requesters ${run.requesters}${run.memoryModel === 'sc' ? '' : ` --memory-model ${run.memoryModel}`}`;
  const itf = toItf(cex, { source, property, description: `${property} violated`, config: { vcpus: run.vcpus, requesters: run.requesters } });
  const html = counterexamplePage(cex, {
    title: `${runName(run)}: ${property} violated`,
    summary: `${cex.steps.length} steps, ${threadSwitchCount(cex)} thread switches; ${run.states} states, depth ${run.depth}; ${source}`,
    svg: svgElement(svg),
    links: [
      { href: 'index.html', text: 'all runs' },
      { href: `${name}.txt`, text: 'text' },
      { href: `${name}.itf.json`, text: 'ITF JSON' },
      { href: `${name}.dot`, text: 'DOT' },
      { href: `${name}.svg`, text: 'SVG' },
    ],
  });
  return {
    ...NO_FILES,
    txt: write(file('.txt'), `${counterexampleText(run)}\n`),
    itf: write(file('.itf.json'), `${JSON.stringify(itf, null, 2)}\n`),
    dot: write(file('.dot'), dot),
    svg: write(file('.svg'), svg),
    html: write(file('.html'), html),
  };
}

/** Writes the report of `runs` into `dir` (created if missing); the files of each run, in order. */
export function writeReport(dir: string, runs: readonly RunResult[], summary: SummaryFormat, graphs: readonly StateGraph[] | null): ReportFiles[] {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ReportInputError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const violations = runs.flatMap((run): Violation[] =>
    run.counterexample === null || run.property === null ? [] : [{ run, cex: run.counterexample, property: run.property, name: fileName(run.spec, fileVariant(run), run.property) }],
  );
  const dots = violations.map((v) => swimlaneDot(v.cex, { title: `${runName(v.run)}: ${v.property}`, property: v.property }));
  const svgs = renderSvgs(dots); // one Graphviz process for all of them
  const written = new Map(violations.map((v, i) => [v.run, writeViolation(dir, v, dots[i]!, svgs[i]!)]));
  const files = runs.map((run, i): ReportFiles => {
    const own = written.get(run) ?? NO_FILES;
    const graph = graphs?.[i];
    if (graph === undefined) return own;
    const name = fileName(run.spec, fileVariant(run));
    return {
      ...own,
      graphDot: write(join(dir, `${name}.graph.dot`), stateGraphDot(graph, `${runName(run)}: reachable states`)),
      graphJson: write(join(dir, `${name}.graph.json`), `${JSON.stringify(graph)}\n`),
    };
  });
  const rows = runs.map(
    (run, i): SummaryRow => ({
      cells: summary.row(run),
      link: files[i]!.html === null ? null : { href: basename(files[i]!.html!), text: `${run.counterexample?.steps.length} steps` },
      bad: run.verdict !== 'incomplete' && !asExpected(run),
    }),
  );
  write(join(dir, 'index.html'), summaryPage('kvmcheck check', [...summary.header, 'counterexample'], rows));
  return files;
}
