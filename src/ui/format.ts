/** Text helpers for the terminal UI: durations, bytes, outcome symbols, progress and child-output cleaning. */
import type { RunOutcome, StepOutcome } from '../engine/events.js';

import { formatBytes, formatElapsed, formatRate } from '../core/format.js';

export { formatBytes, formatDuration, formatElapsed, formatRate } from '../core/format.js';

export const OUTCOME_SYMBOL: Record<StepOutcome, string> = {
  ok: '✔',
  failed: '✖',
  skipped: '↷',
  'timed-out': '⏱',
  interrupted: '⊘',
};

export const OUTCOME_COLOR: Record<StepOutcome, string> = {
  ok: 'green',
  failed: 'red',
  skipped: 'gray',
  'timed-out': 'red',
  interrupted: 'yellow',
};

export const RUN_OUTCOME_TEXT: Record<RunOutcome, string> = {
  ok: 'finished',
  failed: 'failed',
  interrupted: 'interrupted',
  refused: 'refused',
};

/** What an exit code means (DESIGN §3). */
export function exitCodeMeaning(code: number): string {
  switch (code) {
    case 0:
      return 'ok';
    case 1:
      return 'a step failed';
    case 2:
      return 'usage error or invalid runbook';
    case 3:
      return 'an answer or a confirmation was required and not given; nothing was changed';
    case 4:
      return 'resume refused: the runbook changed since';
    case 5:
      return 'a threshold was missed';
    case 130:
      return 'interrupted (SIGINT), cleanup done';
    case 143:
      return 'terminated (SIGTERM), cleanup done';
    default:
      return 'unexpected exit code';
  }
}

export interface ProgressInput {
  done: number;
  total?: number;
  unit?: string;
  label?: string;
  etaMs?: number;
  ratePerSecond?: number;
}

function amount(value: number, unit: string | undefined): string {
  if (unit === 'bytes' || unit === 'B') return formatBytes(value);
  return unit ? `${value.toLocaleString('en-US')} ${unit}` : value.toLocaleString('en-US');
}

/**
 * `[██████░░░░]  60%  120.0 MiB / 200.0 MiB  4.1 MiB/s  ETA 12s`
 * (the rate when the step measured one), or `120.0 MiB` when the total is unknown.
 */
export function formatProgress(progress: ProgressInput, elapsedMs: number, barWidth = 20): string {
  const label = progress.label ? `${progress.label}  ` : '';
  const { done, total, unit } = progress;
  if (total === undefined || total <= 0) {
    const rate = progress.ratePerSecond;
    return `${label}${amount(done, unit)}${rate !== undefined && rate > 0 ? `  ${formatRate(rate, unit)}` : ''}`;
  }
  const ratio = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * barWidth);
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}]`;
  const percent = `${String(Math.floor(ratio * 100)).padStart(3, ' ')}%`;
  const eta = progress.etaMs ?? (done > 0 && ratio < 1 ? (elapsedMs * (total - done)) / done : undefined);
  const etaText = eta !== undefined && ratio < 1 ? `  ETA ${formatElapsed(eta)}` : '';
  const rate = progress.ratePerSecond;
  const rateText = rate !== undefined && rate > 0 && ratio < 1 ? `  ${formatRate(rate, unit)}` : '';
  return `${label}${bar} ${percent}  ${amount(done, unit)} / ${amount(total, unit)}${rateText}${etaText}`;
}

// CSI sequences, OSC sequences and two-character escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

/**
 * Child output as lines safe to draw inside the UI: escape codes and control characters removed, a carriage
 * return keeps only what was drawn last on its line (progress meters), tabs become spaces.
 */
export function cleanOutputLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => {
    const lastSegment =
      line
        .split('\r')
        .filter((segment) => segment.length > 0)
        .pop() ?? '';
    return lastSegment.replace(ANSI, '').replace(/\t/g, '    ').replace(CONTROL, '');
  });
}
