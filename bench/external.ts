/**
 * The established checkers on kvmcheck's own protocol: Spin (bench/external/guest_mode.pml) and
 * Rumur (bench/external/guest_mode.m, scalarset vCPUs and requesters) on the guest-mode model, the
 * same state variables and atomic steps as models/kvm.ts. Each run is generated, compiled and run
 * in a temporary directory with a time and memory bound; a missing tool gives a `not installed`
 * row, never figures.
 *
 *   npx tsx bench/external.ts [--json] [--max-seconds S] [--max-memory MiB] [--config VxR ...] [--variant V]
 */
import { fileURLToPath } from 'node:url';
import { formatTable } from '../checker/report/table.ts';
import type { ExternalConfig, ExternalOptions, ExternalRow } from './external/row.ts';
import { runRumur } from './external/rumur.ts';
import { runSpin } from './external/spin.ts';
import { EXTERNAL_VARIANTS } from './external/variants.ts';

export type { ExternalConfig, ExternalOptions, ExternalRow } from './external/row.ts';
export { rumurInstalled } from './external/rumur.ts';
export { spinInstalled } from './external/spin.ts';

export const DEFAULT_EXTERNAL_CONFIGS: readonly ExternalConfig[] = [
  { vcpus: 2, requesters: 2 },
  { vcpus: 3, requesters: 2 },
];

/** Spin, then Rumur in each symmetry mode, per configuration, one run at a time. */
export async function runExternalCheckers(configs: readonly ExternalConfig[] = DEFAULT_EXTERNAL_CONFIGS, options: ExternalOptions = {}): Promise<ExternalRow[]> {
  const rows: ExternalRow[] = [];
  const add = (row: ExternalRow): void => {
    rows.push(row);
    options.onRow?.(row);
  };
  for (const config of configs) {
    add(await runSpin(config, options));
    for (const symmetry of options.rumurSymmetry ?? (['exhaustive', 'heuristic', 'off'] as const)) add(await runRumur(config, symmetry, options));
  }
  return rows;
}

const fmt = (n: number | null, digits = 0): string =>
  n === null ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatExternalRows(rows: readonly ExternalRow[]): string {
  return formatTable(
    ['checker', 'variant', 'vcpus x req', 'symmetry', 'verdict', 'states', 'transitions', 'seconds', 'cpu s', 'states/s', 'peak MB', 'build s'],
    rows.map((r) => [
      r.checker,
      r.variant,
      `${r.vcpus}x${r.requesters}`,
      r.symmetry,
      r.verdict + (r.property ? ` (${r.property})` : ''),
      fmt(r.states),
      fmt(r.transitions),
      fmt(r.seconds, 2),
      fmt(r.cpuSeconds, 2),
      fmt(r.statesPerSecond),
      fmt(r.peakMemoryMB),
      fmt(r.buildSeconds, 1),
    ]),
  );
}

/** Parses `--config 2x2` (repeatable), `--variant`, `--max-seconds`, `--max-memory`, `--json`. */
function parseArgs(argv: readonly string[]): { configs: ExternalConfig[]; options: ExternalOptions; json: boolean } {
  const configs: ExternalConfig[] = [];
  let variant: string | undefined;
  let maxSeconds: number | undefined;
  let maxMemoryMB: number | undefined;
  let json = false;
  const positive = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--variant') {
      variant = argv[++i] ?? '';
      if (!(variant in EXTERNAL_VARIANTS)) throw new Error(`--variant must be one of ${Object.keys(EXTERNAL_VARIANTS).join(', ')}`);
    }
    else if (arg === '--max-seconds') maxSeconds = positive(arg, argv[++i]);
    else if (arg === '--max-memory') maxMemoryMB = positive(arg, argv[++i]);
    else if (arg === '--config') {
      const m = /^(\d+)x(\d+)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--config needs VCPUSxREQUESTERS, e.g. 2x2');
      configs.push({ vcpus: Number(m[1]), requesters: Number(m[2]) });
    } else throw new Error(`unknown argument '${arg}'`);
  }
  const chosen = configs.length > 0 ? configs : DEFAULT_EXTERNAL_CONFIGS;
  return { configs: chosen.map((c) => ({ ...c, ...(variant ? { variant } : {}) })), options: { maxSeconds, maxMemoryMB }, json };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench/external: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
  const onRow = args.json
    ? undefined
    : (r: ExternalRow) => console.error(`  ${r.checker} ${r.variant} ${r.vcpus}x${r.requesters} symmetry ${r.symmetry}: ${r.verdict}, ${fmt(r.states)} states`);
  const rows = await runExternalCheckers(args.configs, { ...args.options, ...(onRow ? { onRow } : {}) });
  if (args.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(formatExternalRows(rows));
  console.log('');
  for (const r of rows) console.log(`${r.checker} ${r.vcpus}x${r.requesters} ${r.symmetry}: ${r.note}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
