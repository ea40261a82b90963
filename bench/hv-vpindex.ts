/**
 * VP index comparisons per PV TLB flush / PV IPI hypercall (seeds/002): Vitaly's "128 * 128 vs 128"
 * argument, counted on the plain lookup structures of models/hv_vpindex_lookup.ts. Deterministic
 * counts, not timings. `npx tsx bench/hv-vpindex.ts` prints the table (`--json`: the rows).
 */
import { fileURLToPath } from 'node:url';
import { formatTable } from '../checker/report/table.ts';
import { VP_INDEX_TRANSLATIONS } from '../models/hv_vpindex_lookup.ts';

export interface HvVpindexBenchRow {
  readonly structure: string;
  readonly scenario: string;
  readonly vcpus: number;
  /** VP indexes in the hypercall's set. */
  readonly setSize: number;
  /** VP index comparisons of one hypercall. */
  readonly comparisons: number;
  /** The vCPUs the hypercall reached (a check that every structure answers the same). */
  readonly translated: number;
}

interface Scenario {
  readonly name: string;
  /** VP index of each vCPU. */
  readonly vpIndexOf: (vcpu: number, vcpus: number) => number;
  readonly set: (vcpus: number) => number[];
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const SCENARIOS: readonly Scenario[] = [
  { name: 'full set, vp_index == vcpu_idx', vpIndexOf: (v) => v, set: all },
  // every vCPU mismatched: a rotation by one (VP index v+1 mod n), as a VMM numbering VPs from 1 might leave it
  { name: 'full set, every vp_index mismatched', vpIndexOf: (v, n) => (v + 1) % n, set: all },
  { name: 'one VP index, every vp_index mismatched', vpIndexOf: (v, n) => (v + 1) % n, set: (n) => [n - 1] },
];

/** Comparisons of one hypercall for every structure and scenario, with `vcpus` vCPUs (default 128). */
export function benchHvVpindex(vcpus = 128): HvVpindexBenchRow[] {
  return SCENARIOS.flatMap((scenario) =>
    Object.entries(VP_INDEX_TRANSLATIONS).map(([structure, create]) => {
      const t = create(vcpus);
      for (let v = 0; v < vcpus; v++) t.setVpIndex(v, scenario.vpIndexOf(v, vcpus));
      const set = scenario.set(vcpus);
      const translated = t.translate(set).length;
      return { structure, scenario: scenario.name, vcpus, setSize: set.length, comparisons: t.comparisons, translated };
    }),
  );
}

export function formatHvVpindexBench(rows: readonly HvVpindexBenchRow[]): string {
  return formatTable(
    ['scenario', 'structure', 'vcpus', 'set', 'comparisons', 'translated'],
    rows.map((r) => [r.scenario, r.structure, String(r.vcpus), String(r.setSize), String(r.comparisons), String(r.translated)]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = benchHvVpindex();
  console.log(process.argv.includes('--json') ? JSON.stringify(rows, null, 2) : formatHvVpindexBench(rows));
}
