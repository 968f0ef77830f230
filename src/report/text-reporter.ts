/**
 * Plain lines for a cron log: a UTC timestamp, the runbook, what happened. No escape codes, no redraws.
 * Progress is printed at most every few seconds per step so a long dump does not flood the log.
 */
import { endingLines } from '../engine/ending-lines.js';
import { formatBytes, formatDuration, formatRate } from '../core/format.js';
import type { RunEvent, RunEventListener } from '../engine/events.js';

const OUTCOME_WORD: Record<string, string> = {
  ok: 'ok',
  failed: 'FAILED',
  skipped: 'skipped',
  'timed-out': 'TIMED OUT',
  interrupted: 'INTERRUPTED',
};
const PROGRESS_EVERY_MS = 5_000;

/**
 * Which lines a reporter prints: `all` (the cron log), `quiet` (`--quiet`: warnings, failed steps and the final
 * line), `alerts` (the copy on stderr: warnings, failed steps and a final line that is not a success, so that a
 * crontab line sending stdout to /dev/null still mails every failure and nothing else).
 */
export type ReporterLevel = 'all' | 'quiet' | 'alerts';

export interface TextReporterOptions {
  verbose: boolean;
  level?: ReporterLevel;
}

/** Whether `event` is printed at `level`. */
function shown(event: RunEvent, level: ReporterLevel): boolean {
  if (level === 'all') return true;
  switch (event.type) {
    case 'step-output':
      return event.stream === 'warn';
    case 'step-finished':
      return event.outcome !== 'ok' && event.outcome !== 'skipped';
    case 'run-finished':
      return level === 'quiet' || event.outcome !== 'ok';
    default:
      return false;
  }
}

type Line = (at: string, text: string) => void;
type EventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

function printRunStarted(line: Line, event: EventOf<'run-started'>, verbose: boolean): void {
  const flags = `${event.dryRun ? ' (dry run)' : ''}${event.resumedFrom ? ' (resumed)' : ''}`;
  line(event.at, `run ${event.runId} started${flags}: ${event.title}`);
  if (!event.dryRun && !verbose) return;
  for (const s of event.steps) {
    const marks = `${s.destructive ? ' [destructive]' : ''}${s.willRun === false ? ' [will not run]' : ''}`;
    line(event.at, `  plan ${s.id}${marks}: ${s.plan}`);
  }
}

function printOutput(line: Line, event: EventOf<'step-output'>, verbose: boolean): void {
  if (event.stream === 'stdout' && !verbose) return;
  const prefix = event.stream === 'warn' ? 'warning: ' : event.stream === 'stderr' ? '! ' : '';
  line(event.at, `  ${prefix}${event.text}`);
}

/** `dumping public.users: 12.3 MiB of 80.0 MiB (15%), 4.1 MiB/s, about 14s left`. */
export function progressLineText(event: Omit<EventOf<'step-progress'>, 'type' | 'runId' | 'stepId' | 'at'>): string {
  const { done, total, unit } = event;
  const bytes = unit === 'bytes';
  const of = total ? ` of ${bytes ? formatBytes(total) : total}` : '';
  const percent = total ? ` (${Math.floor((100 * done) / total)}%)` : '';
  const amount = bytes ? `${formatBytes(done)}${of}` : `${done}${of}${unit ? ` ${unit}` : ''}`;
  const rate =
    event.ratePerSecond !== undefined && event.ratePerSecond > 0 ? `, ${formatRate(event.ratePerSecond, unit)}` : '';
  const eta = event.etaMs !== undefined ? `, about ${formatDuration(event.etaMs)} left` : '';
  return `${event.label ?? 'progress'}: ${amount}${percent}${rate}${eta}`;
}

interface Printed {
  at: number;
  done: number;
  label: string | undefined;
}

/**
 * Progress at most every PROGRESS_EVERY_MS per step. A transfer in bytes without a rate of its own gets the rate
 * since the step's previous line.
 */
function printProgress(line: Line, event: EventOf<'step-progress'>, lastProgress: Map<string, Printed>): void {
  const now = Date.parse(event.at);
  const last = lastProgress.get(event.stepId);
  if (last && now - last.at < PROGRESS_EVERY_MS) return;
  lastProgress.set(event.stepId, { at: now, done: event.done, label: event.label });
  const measured =
    event.ratePerSecond === undefined &&
    event.unit === 'bytes' &&
    last !== undefined &&
    last.label === event.label &&
    last.done <= event.done
      ? ((event.done - last.done) * 1000) / (now - last.at)
      : undefined;
  const shown = measured !== undefined ? { ...event, ratePerSecond: Math.round(measured) } : event;
  line(event.at, `  ${progressLineText(shown)}`);
}

function printStepFinished(line: Line, event: EventOf<'step-finished'>): void {
  const mark = event.outcome === 'ok' ? '+' : event.outcome === 'skipped' ? '-' : 'x';
  const word = OUTCOME_WORD[event.outcome] ?? event.outcome;
  const message = event.message ? `: ${event.message}` : '';
  line(event.at, `${mark} ${event.stepId}: ${word} in ${formatDuration(event.durationMs)}${message}`);
  if (event.hint && event.outcome !== 'ok') line(event.at, `  what to do: ${event.hint}`);
}

function printRunFinished(line: Line, event: EventOf<'run-finished'>, level: ReporterLevel): void {
  const message = event.message ? `: ${event.message}` : '';
  line(
    event.at,
    `run ${event.runId} ${event.outcome.toUpperCase()} (exit ${event.exitCode}) ` +
      `in ${formatDuration(event.durationMs)}${message}`,
  );
  if (event.hint) line(event.at, `  what to do: ${event.hint}`);
  for (const text of endingLines(event.ending)) line(event.at, `  ${text}`);
  if (event.recordPath && level === 'all') line(event.at, `  record: ${event.recordPath}`);
  if (event.recordCopy && level === 'all') {
    const copied = event.recordCopy.ok ? 'copied' : 'NOT copied';
    line(event.at, `  record ${copied} to the bucket: ${event.recordCopy.text}`);
  }
}

export function textReporter(write: (line: string) => void, options: TextReporterOptions): RunEventListener {
  let runbook = '';
  const level = options.level ?? 'all';
  const lastProgress = new Map<string, Printed>();
  const line: Line = (at, text) => write(`${at.replace(/\.\d+Z$/, 'Z')} [${runbook}] ${text}`);
  return (event: RunEvent) => {
    if (event.type === 'run-started') runbook = event.runbook;
    if (!shown(event, level)) return;
    switch (event.type) {
      case 'run-started':
        printRunStarted(line, event, options.verbose);
        break;
      case 'step-started':
        line(event.at, `> ${event.stepId}: ${event.title}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
        break;
      case 'step-output':
        printOutput(line, event, options.verbose);
        break;
      case 'step-progress':
        printProgress(line, event, lastProgress);
        break;
      case 'step-finished':
        printStepFinished(line, event);
        break;
      case 'gate-answered':
        line(event.at, `  ${event.name}: ${event.summary}`);
        break;
      case 'run-finished':
        printRunFinished(line, event, level);
        break;
    }
  };
}

export function ndjsonReporter(write: (line: string) => void): RunEventListener {
  return (event) => write(JSON.stringify(event));
}
