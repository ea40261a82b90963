/**
 * `kvmcheck masks`: for every per-mode kick/wait mask (specs/masks.ts), rebuild each consumer's
 * spec with its request carrying that mask and explore it exhaustively against the consumer's
 * safety properties. Every mask is checked on its own (no monotonicity shortcut: an extra IPI
 * changes the interleavings, so "safe" need not be upward closed).
 */
import { formatTable } from '../checker/report/table.ts';
import type { RequestMask } from '../models/kvm_request_needs_ipi.ts';
import { allMasks, maskLabel, maskLeq, minimalMasks, normalizeMask } from '../specs/masks.ts';
import type { MaskConsumer, Spec, SpecConfig } from '../specs/index.ts';
import { runVariant } from './runSpec.ts';

export interface MaskRun {
  readonly mask: { readonly kick: string[]; readonly wait: string[] };
  readonly label: string;
  readonly safe: boolean | null; // null: a bound stopped the run
  readonly property: string | null;
  readonly counterexampleLength: number | null;
  readonly states: number;
  readonly seconds: number;
}

export interface ConsumerReport {
  readonly spec: string;
  readonly consumer: string;
  readonly description: string;
  readonly vcpus: number;
  readonly requesters: number;
  readonly masks: readonly MaskRun[];
  readonly safe: readonly string[];
  readonly minimal: readonly string[];
  readonly kernel: { readonly uses: string; readonly mask: string; readonly safe: boolean | null; readonly minimal: boolean; readonly overSynchronizes: boolean };
}

const modeNames = (set: number): string[] => maskLabel({ ipi: set, wait: 0 }).replace(/^kick\{|\}$/g, '').split(',').filter((x) => x !== 'none');

export function checkConsumer(spec: Spec, consumer: MaskConsumer, config: SpecConfig, maxSeconds?: number): ConsumerReport {
  const runs = allMasks().map((mask): MaskRun & { raw: RequestMask } => {
    const variant = { name: maskLabel(mask), description: '', expected: { verdict: 'holds' as const }, build: (c: SpecConfig) => consumer.build(c, mask) };
    const r = runVariant(spec, variant, config, { properties: 'safety', symmetry: true, maxSeconds });
    return {
      raw: mask,
      mask: { kick: modeNames(mask.ipi), wait: modeNames(mask.wait) },
      label: maskLabel(mask),
      safe: r.verdict === 'incomplete' ? null : r.verdict === 'holds',
      property: r.property,
      counterexampleLength: r.counterexample?.steps.length ?? null,
      states: r.states,
      seconds: r.seconds,
    };
  });
  const safe = runs.filter((r) => r.safe === true).map((r) => r.raw);
  const minimal = minimalMasks(safe);
  const kernelMask = normalizeMask(consumer.kernel.mask);
  const kernelRun = runs.find((r) => r.raw.ipi === kernelMask.ipi && r.raw.wait === kernelMask.wait)!;
  const kernelMinimal = minimal.some((m) => m.ipi === kernelMask.ipi && m.wait === kernelMask.wait);
  return {
    spec: spec.name,
    consumer: consumer.name,
    description: consumer.description,
    vcpus: config.vcpus,
    requesters: config.requesters,
    masks: runs.map(({ raw: _raw, ...r }) => r),
    safe: safe.map(maskLabel),
    minimal: minimal.map(maskLabel),
    kernel: {
      uses: consumer.kernel.label,
      mask: maskLabel(kernelMask),
      safe: kernelRun.safe,
      minimal: kernelMinimal,
      overSynchronizes: kernelRun.safe === true && !kernelMinimal && minimal.some((m) => maskLeq(m, kernelMask)),
    },
  };
}

export function formatConsumerReport(r: ConsumerReport): string {
  const rows = r.masks.map((m) => [
    m.label,
    m.safe === null ? 'incomplete' : m.safe ? 'safe' : 'UNSAFE',
    m.property ?? '',
    m.counterexampleLength === null ? '' : String(m.counterexampleLength),
    String(m.states),
    m.seconds.toFixed(2),
  ]);
  const k = r.kernel;
  const verdict = k.safe === false ? 'UNSAFE' : k.safe === null ? 'not decided' : k.minimal ? 'safe and minimal' : 'safe, over-synchronizes';
  return [
    `${r.spec} / ${r.consumer} (${r.vcpus} vCPUs x ${r.requesters} requesters): ${r.description}`,
    formatTable(['mask', 'verdict', 'breaks', 'cex steps', 'states', 'seconds'], rows),
    `safe masks: ${r.safe.length} of ${r.masks.length}; minimal: ${r.minimal.join('; ') || 'none'}`,
    `kernel: ${k.uses} = ${k.mask}: ${verdict}`,
  ].join('\n');
}

/** The consumer x minimal masks x kernel table (for the README). */
export function formatConsumerTable(reports: readonly ConsumerReport[]): string {
  return formatTable(
    ['consumer', 'minimal safe masks', 'kernel uses', 'kernel mask', 'kernel verdict'],
    reports.map((r) => [
      `${r.spec}/${r.consumer}`,
      r.minimal.join('; ') || 'none',
      r.kernel.uses,
      r.kernel.mask,
      r.kernel.safe === false ? 'UNSAFE' : r.kernel.safe === null ? 'not decided' : r.kernel.minimal ? 'minimal' : 'over-synchronizes',
    ]),
  );
}
