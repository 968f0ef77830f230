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
