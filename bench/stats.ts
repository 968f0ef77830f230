/** Medians over repetitions. */
import type { MeasuredRun } from './measure.js';
import type { Samples } from './types.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Collapses repeated runs into medians (time, memory peaks, per-step times, output size). */
export function summarize(
  runs: readonly MeasuredRun[],
  extra: { bytes?: number[]; steps?: Record<string, number>[] } = {},
): Samples {
  const programs = new Set(runs.flatMap((r) => Object.keys(r.memory.byProgram)));
  const byProgram: Record<string, number> = {};
  for (const name of programs) byProgram[name] = median(runs.map((r) => r.memory.byProgram[name] ?? 0));
  const result: Samples = {
    seconds: round(median(runs.map((r) => r.seconds)), 3),
    samples: runs.map((r) => round(r.seconds, 3)),
    rootPeakBytes: median(runs.map((r) => r.memory.rootPeakBytes)),
    toolTreePeakBytes: median(runs.map((r) => r.memory.toolTreePeakBytes)),
    childrenPeakBytes: median(runs.map((r) => r.memory.childrenPeakBytes)),
    byProgram,
  };
  if (extra.bytes && extra.bytes.length > 0) result.bytes = median(extra.bytes);
  if (extra.steps && extra.steps.length > 0) {
    const names = new Set(extra.steps.flatMap((s) => Object.keys(s)));
    result.steps = {};
    for (const name of names) result.steps[name] = round(median(extra.steps.map((s) => s[name] ?? 0)), 3);
  }
  return result;
}
