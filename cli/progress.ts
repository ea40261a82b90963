import type { Progress } from '../checker/engine/index.ts';

/** One status line: distinct states, states/s, depth, frontier. */
export function progressLine(label: string, p: Progress): string {
  const rate = p.seconds > 0 ? p.states / p.seconds : 0;
  return `${label}: ${p.states.toLocaleString('en-US')} states, ${Math.round(rate).toLocaleString('en-US')} states/s, depth ${p.depth}, frontier ${p.frontier.toLocaleString('en-US')}, ${p.seconds.toFixed(1)} s`;
}
