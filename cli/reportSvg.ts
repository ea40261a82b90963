/**
 * DOT -> SVG with graphviz-cli's WebAssembly Graphviz (no native `dot`). Its API is async and the
 * CLI is synchronous, so every graph of a run is rendered in one child Node process.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const GRAPHVIZ_CLI = createRequire(import.meta.url).resolve('graphviz-cli');

/** Reads a JSON array of DOT sources on stdin, writes the JSON array of their SVGs on stdout. */
const RENDER_ALL = `
const { renderGraphFromSource } = require(${JSON.stringify(GRAPHVIZ_CLI)});
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  try {
    const svgs = [];
    for (const dot of JSON.parse(input)) svgs.push(await renderGraphFromSource({ input: dot }, { format: 'svg' }));
    process.stdout.write(JSON.stringify(svgs));
  } catch (e) {
    process.stderr.write(String(e && e.message ? e.message : e).split('\\n')[0] + '\\n');
    process.exitCode = 1;
  }
});
`;

/** The SVG of each DOT source, in order. Throws with Graphviz's first error line when one fails. */
export function renderSvgs(dots: readonly string[]): string[] {
  if (dots.length === 0) return [];
  const r = spawnSync(process.execPath, ['-e', RENDER_ALL], { input: JSON.stringify(dots), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    const line = (r.stderr || String(r.error ?? 'no output')).split('\n').find((l) => l.trim() !== '') ?? '';
    throw new Error(`graphviz (WebAssembly) failed to render: ${line.trim()}`);
  }
  return JSON.parse(r.stdout) as string[];
}

/** The `<svg>` element alone (no XML prolog, doctype or comments), for inlining in HTML. */
export function svgElement(svg: string): string {
  const start = svg.indexOf('<svg');
  return start < 0 ? svg : svg.slice(start);
}
