/**
 * Past drills from their records, for the TUI's history view: each drill's RTO, the trend, and the expected
 * duration of the next drill. Pure: the caller reads the records (see history-load.ts) and renders the result.
 *
 * A drill's RTO is `details.drill.rto.ms` (written by the `drill.rto` step); a drill that did not reach its
 * last check has none and is listed without it. The trend and the expectation use every drill whose four checks
 * passed, including one that missed RTO_TARGET (its record fails with exit 5, but its RTO is a real, measured
 * recovery: leaving it out would hide exactly the slow drills). A drill whose checks failed measures a failure,
 * not a recovery, and is left out. `lastPassedAt` counts only drills with outcome ok, as `status` does.
 */
import { dig } from '../core/dig.js';

export interface DrillHistoryEntry {
  runId: string;
  finishedAt: string;
  outcome: string;
  /** Milliseconds from the drill's start to its last check passed; null when the checks did not all pass. */
  rtoMs: number | null;
  rtoTargetMs: number | null;
  /** RTO within its target (null when either is unknown). */
  met: boolean | null;
  /** Age of the dump when it was restored (the RPO of that moment). */
  rpoMs: number | null;
  dumpName: string | null;
  failedChecks: string[];
}

export type DrillTrend = 'faster' | 'slower' | 'steady' | 'unknown';

export interface DrillHistory {
  /** Oldest first. */
  entries: DrillHistoryEntry[];
  /** RTOs of the drills whose checks all passed, oldest first (what a sparkline draws). */
  rtoSeries: number[];
  trend: DrillTrend;
  /** Change of the RTO per drill (ms, least squares over the last drills); null with fewer than 2. */
  slopeMsPerDrill: number | null;
  /** Expected RTO of the next drill (ms); null with no measured drill. */
  expectedNextMs: number | null;
  lastPassedAt: string | null;
}

/** How many recent measured drills the trend and the expectation look at. */
export const TREND_WINDOW = 8;
/** Below this relative change per drill (of the mean RTO) the trend is called steady. */
const STEADY_FRACTION = 0.05;

const numberOrNull = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** One record (as parsed JSON) as a history entry; undefined when it is not a drill record. */
export function drillEntryOf(record: Record<string, unknown>): DrillHistoryEntry | undefined {
  if (record.runbook !== 'drill') return undefined;
  const drill = dig(record, 'details', 'drill');
  const failed = dig(drill, 'failedChecks');
  return {
    runId: String(record.runId ?? ''),
    finishedAt: String(record.finishedAt ?? ''),
    outcome: String(record.outcome ?? 'unknown'),
    rtoMs: numberOrNull(dig(drill, 'rto', 'ms')),
    rtoTargetMs: numberOrNull(dig(drill, 'rto', 'targetMs')),
    met: typeof dig(drill, 'rto', 'met') === 'boolean' ? (dig(drill, 'rto', 'met') as boolean) : null,
    rpoMs: numberOrNull(dig(drill, 'dump', 'ageAtRestoreMs')),
    dumpName: typeof dig(drill, 'dump', 'name') === 'string' ? (dig(drill, 'dump', 'name') as string) : null,
    failedChecks: Array.isArray(failed) ? failed.filter((f): f is string => typeof f === 'string') : [],
  };
}

/** Least-squares slope of `values` against their index. */
export function slope(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The expected next RTO: with three or more recent drills, the least-squares line one drill ahead, kept between
 * half the fastest and twice the slowest of them (a line through a few noisy points must not promise a miracle);
 * with fewer, their median.
 */
export function expectedNext(recent: readonly number[]): number | null {
  if (recent.length === 0) return null;
  if (recent.length < 3) return median(recent);
  const s = slope(recent) ?? 0;
  const n = recent.length;
  const mean = recent.reduce((a, b) => a + b, 0) / n;
  const projected = mean + s * (n - (n - 1) / 2);
  return Math.round(Math.min(Math.max(projected, Math.min(...recent) / 2), Math.max(...recent) * 2));
}

export function trendOf(recent: readonly number[]): { trend: DrillTrend; slopeMsPerDrill: number | null } {
  const s = slope(recent);
  if (s === null) return { trend: 'unknown', slopeMsPerDrill: null };
  const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
  if (mean === 0 || Math.abs(s) < STEADY_FRACTION * mean) return { trend: 'steady', slopeMsPerDrill: s };
  return { trend: s < 0 ? 'faster' : 'slower', slopeMsPerDrill: s };
}

/** The history of drills from parsed records (any order, any runbooks). */
export function drillHistory(records: readonly Record<string, unknown>[]): DrillHistory {
  const entries = records
    .map(drillEntryOf)
    .filter((e): e is DrillHistoryEntry => e !== undefined)
    .sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0));
  const measured = entries.filter((e) => e.rtoMs !== null);
  const rtoSeries = measured.map((e) => e.rtoMs as number);
  const recent = rtoSeries.slice(-TREND_WINDOW);
  const { trend, slopeMsPerDrill } = trendOf(recent);
  return {
    entries,
    rtoSeries,
    trend,
    slopeMsPerDrill,
    expectedNextMs: expectedNext(recent),
    lastPassedAt: entries.filter((e) => e.outcome === 'ok').at(-1)?.finishedAt ?? null,
  };
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line sparkline of the values (scaled between their minimum and maximum). */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  return values.map((v) => BARS[span === 0 ? 3 : Math.round(((v - min) / span) * (BARS.length - 1))]).join('');
}
