/**
 * What the drill shows of its history, as plain data and plain text, so that the headless log and the TUI say the
 * same thing: how many drills, their RTOs as a sparkline, the trend, and the expected duration of the next one.
 * `DrillHistoryView` is JSON (it travels as step data in the event stream); the TUI renders it (src/ui/drill-history).
 */
import { formatDuration } from '../core/format.js';
import { sparkline, TREND_WINDOW, type DrillHistory, type DrillTrend } from './history.js';

/** How many past drills the view lists one by one. */
export const VIEW_ROWS = 5;

export interface DrillHistoryRow {
  finishedAt: string;
  outcome: string;
  rtoMs: number | null;
  met: boolean | null;
  rpoMs: number | null;
  failedChecks: string[];
}

export interface DrillHistoryView {
  /** Every drill record found (passed, failed, interrupted). */
  drills: number;
  /** Drills whose checks all passed (they have an RTO). */
  measured: number;
  /** The last measured RTOs, oldest first (at most TREND_WINDOW of them) and their sparkline. */
  recentRtoMs: number[];
  sparkline: string;
  trend: DrillTrend;
  slopeMsPerDrill: number | null;
  expectedNextMs: number | null;
  lastPassedAt: string | null;
  /** The newest drills, oldest first (at most VIEW_ROWS). */
  rows: DrillHistoryRow[];
  /** Where the records were read from. */
  recordsDir: string;
}

export function drillHistoryView(history: DrillHistory, recordsDir: string): DrillHistoryView {
  const recent = history.rtoSeries.slice(-TREND_WINDOW);
  return {
    drills: history.entries.length,
    measured: history.rtoSeries.length,
    recentRtoMs: recent,
    sparkline: sparkline(recent),
    trend: history.trend,
    slopeMsPerDrill: history.slopeMsPerDrill === null ? null : Math.round(history.slopeMsPerDrill),
    expectedNextMs: history.expectedNextMs,
    lastPassedAt: history.lastPassedAt,
    rows: history.entries.slice(-VIEW_ROWS).map((e) => ({
      finishedAt: e.finishedAt,
      outcome: e.outcome,
      rtoMs: e.rtoMs,
      met: e.met,
      rpoMs: e.rpoMs,
      failedChecks: e.failedChecks,
    })),
    recordsDir,
  };
}

/** `slower (+12.0s a drill)`, `faster (-1m 05s a drill)`, `steady`, `unknown (one measured drill)`. */
export function trendText(view: Pick<DrillHistoryView, 'trend' | 'slopeMsPerDrill' | 'measured'>): string {
  if (view.trend === 'unknown')
    return view.measured === 0 ? 'unknown (no measured drill yet)' : 'unknown (one measured drill)';
  if (view.trend === 'steady' || view.slopeMsPerDrill === null) return 'steady';
  const sign = view.slopeMsPerDrill < 0 ? '-' : '+';
  return `${view.trend} (${sign}${formatDuration(Math.abs(view.slopeMsPerDrill))} a drill)`;
}

/** One line: what the operator should expect of this drill. */
export function historySummaryLine(view: DrillHistoryView, targetText?: string): string {
  if (view.drills === 0) return 'no earlier drill on record: this drill sets the baseline';
  const target = targetText ? ` (RTO_TARGET ${targetText})` : '';
  if (view.measured === 0)
    return `${view.drills} earlier drill(s), none passed its checks: no RTO to expect yet${target}`;
  const range =
    view.recentRtoMs.length > 1
      ? ` ${formatDuration(Math.min(...view.recentRtoMs))}…${formatDuration(Math.max(...view.recentRtoMs))}`
      : '';
  const expected =
    view.expectedNextMs === null ? '' : `; next drill expected ~${formatDuration(view.expectedNextMs)}${target}`;
  return `${view.drills} earlier drill(s), RTO ${view.sparkline}${range}, trend ${trendText(view)}${expected}`;
}

/** `2026-11-24 19:05  ok      RTO 1m 02s met  · dump 6h 00m old` (a row of the list). */
export function historyRowText(row: DrillHistoryRow): string {
  const when = row.finishedAt.replace('T', ' ').slice(0, 16);
  const rto =
    row.rtoMs === null
      ? `no RTO (failed: ${row.failedChecks.join(', ') || 'before the checks'})`
      : `RTO ${formatDuration(row.rtoMs)}${row.met === false ? ' MISSED' : row.met ? ' met' : ''}`;
  const rpo = row.rpoMs === null ? '' : ` · dump ${formatDuration(row.rpoMs)} old`;
  return `${when}  ${row.outcome.padEnd(11)} ${rto}${rpo}`;
}
