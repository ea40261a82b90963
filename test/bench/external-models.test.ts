/**
 * The Promela and Murphi encodings of guest-mode (bench/external/) are the model kvmcheck checks:
 * without reductions Spin and Rumur reach exactly kvmcheck's distinct states and transitions, and
 * find the rfc-1-6 variant violated where kvmcheck does. Needs `spin`/`rumur` and a C compiler;
 * each check is skipped, saying so in its title, only when its tool is not installed.
 */
import { describe, expect, it } from 'vitest';
import { runRumur, rumurInstalled } from '../../bench/external/rumur.ts';
import type { ExternalConfig, ExternalRow } from '../../bench/external/row.ts';
import { runSpin, spinInstalled } from '../../bench/external/spin.ts';
import { EXTERNAL_VARIANTS } from '../../bench/external/variants.ts';
import { runVariant } from '../../cli/runSpec.ts';
import { guestMode } from '../../specs/guest-mode.ts';

const hasSpin = spinInstalled();
const hasRumur = rumurInstalled();
const COUNTED: readonly ExternalConfig[] = [
  { vcpus: 1, requesters: 1 },
  { vcpus: 2, requesters: 1 },
];
const VIOLATED: ExternalConfig = { vcpus: 1, requesters: 1, variant: 'rfc-1-6' };
const options = { fastBuild: true, maxSeconds: 60 } as const;

function kvmcheck(config: ExternalConfig, symmetry = false) {
  const variant = guestMode.variants.find((v) => v.name === (config.variant ?? 'kernel'))!;
  return runVariant(guestMode, variant, config, { properties: 'safety', symmetry });
}

/** Same verdict, states and transitions; with symmetry, kvmcheck's canonical form against Rumur's exhaustive one. */
function expectSameAsKvmcheck(row: ExternalRow): void {
  const reference = kvmcheck(row, row.symmetry !== 'off');
  expect(reference.verdict).toBe('holds');
  expect({ verdict: row.verdict, states: row.states, transitions: row.transitions }).toEqual({
    verdict: 'holds',
    states: reference.states,
    transitions: reference.transitions,
  });
}

function expectViolatedAsKvmcheck(row: ExternalRow): void {
  const reference = kvmcheck(VIOLATED);
  expect(reference.verdict).toBe('violated');
  expect({ verdict: row.verdict, property: row.property }).toEqual({ verdict: 'violated', property: reference.property });
}

const skipped = (tool: string): string => ` — SKIPPED: ${tool} or a C compiler is not installed (apt-get install -y ${tool} gcc)`;

describe('external encodings of guest-mode (bench/external/)', () => {
  it('encode only variants guest-mode has', () => {
    const names = guestMode.variants.map((v) => v.name);
    expect(Object.keys(EXTERNAL_VARIANTS).filter((name) => !names.includes(name))).toEqual([]);
  });

  it.skipIf(!hasSpin)(`Spin (no partial-order reduction) reaches kvmcheck's --no-symmetry states and transitions at 1x1 and 2x1, and finds rfc-1-6 violated${hasSpin ? '' : skipped('spin')}`, async () => {
    const [counted, violated] = await Promise.all([Promise.all(COUNTED.map((c) => runSpin(c, options))), runSpin(VIOLATED, options)]);
    for (const row of counted) expectSameAsKvmcheck(row);
    expectViolatedAsKvmcheck(violated);
  });

  it.skipIf(!hasRumur)(`Rumur (symmetry off) reaches kvmcheck's --no-symmetry states and transitions at 1x1 and 2x1, with exhaustive symmetry kvmcheck's symmetric ones at 2x1, and finds rfc-1-6 violated${hasRumur ? '' : skipped('rumur')}`, async () => {
    const [counted, symmetric, violated] = await Promise.all([
      Promise.all(COUNTED.map((c) => runRumur(c, 'off', options))),
      runRumur(COUNTED[1]!, 'exhaustive', options),
      runRumur(VIOLATED, 'off', options),
    ]);
    for (const row of [...counted, symmetric]) expectSameAsKvmcheck(row);
    expectViolatedAsKvmcheck(violated);
  });
});
