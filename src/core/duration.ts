/**
 * Durations as operators write them: `90s`, `30m`, `26h`, `92d`, `1h30m`. A unit is required (`--pin 30` is
 * refused, not read as 30 ms); `0` alone is the one number that needs none.
 */
import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) {
    throw new UsageError(
      `${what} "${text}" has no unit`,
      `write the unit: ${trimmed}d for days, ${trimmed}h, ${trimmed}m, ${trimmed}s or ${trimmed}ms`,
    );
  }
  let total = 0;
  let consumed = '';
  for (const match of trimmed.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0);
    consumed += match[0];
  }
  if (consumed.length === 0 || consumed !== trimmed) {
    throw new UsageError(`${what} "${text}" is not a duration`, 'write a duration such as 90s, 30m, 26h, 14d or 1h30m');
  }
  return total;
}

export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** `1h 02m`, `4m 05s`, `12.3s`, `850ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1_000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h >= 48) return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(s).padStart(2, '0')}s`;
}
