import type { Progress } from '../checker/engine/index.ts';

/** One status line: distinct states, states/s, depth, frontier; once they are explored, the liveness property being checked. */
export function progressLine(label: string, p: Progress): string {
  if (p.liveness !== undefined) return `${label}: ${p.states.toLocaleString('en-US')} states explored, searching fair cycles against '${p.liveness}', ${p.seconds.toFixed(1)} s`;
  const rate = p.seconds > 0 ? p.states / p.seconds : 0;
  return `${label}: ${p.states.toLocaleString('en-US')} states, ${Math.round(rate).toLocaleString('en-US')} states/s, depth ${p.depth}, frontier ${p.frontier.toLocaleString('en-US')}, ${p.seconds.toFixed(1)} s`;
}
