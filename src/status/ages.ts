/**
 * Ages against BACKUP_MAX_AGE and DRILL_MAX_AGE. Past the limit is WARNING (one daily backup missed, a quarterly
 * drill overdue); past twice the limit, or none at all, is CRITICAL (two backups missed in a row, half a year
 * without proof that a restore works). Decided in docs/monitoring.md.
 */
import { plainSettingsOf } from '../core/parsed-settings.js';
import { formatAge } from '../core/format.js';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import type { AgeFigure, StatusItem } from './types.js';

export interface AgeLimit {
  warnMs: number;
  critMs: number;
  /** As the operator wrote it (`26h`). */
  text: string;
  critText: string;
}

const KEYS = {
  BACKUP_MAX_AGE: 'backupMaxAge',
  DRILL_MAX_AGE: 'drillMaxAge',
  PITR_MAX_ARCHIVE_LAG: 'pitrMaxArchiveLag',
} as const;

/** `26h` → `52h`; anything else as an age. */
function doubled(text: string, ms: number): string {
  const simple = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  return simple ? `${Number(simple[1]) * 2}${simple[2]}` : formatAge(ms * 2);
}

export function ageLimit(settings: Settings, name: keyof typeof KEYS): AgeLimit {
  const text = plainSettingsOf(settings).status[KEYS[name]];
  const ms = parseDuration(text, name);
  if (ms <= 0) {
    throw new UsageError(`${name} "${text}" must be a positive duration`, 'write a duration such as 26h or 92d');
  }
  return { warnMs: ms, critMs: 2 * ms, text, critText: doubled(text, ms) };
}

export interface Found {
  at: Date;
  what: string;
}

export interface AgeCheck {
  key: string;
  label: string;
  limit: AgeLimit;
  now: Date;
  found: Found | undefined;
  /** The line's text when nothing was found. */
  missing: string;
}

type Checked = { item: StatusItem; figure: AgeFigure };

const limitsOf = (limit: AgeLimit) => ({ warnSeconds: limit.warnMs / 1000, critSeconds: limit.critMs / 1000 });

export function ageItem(check: AgeCheck): Checked {
  const { key, label, limit, now, found } = check;
  const figure: AgeFigure = { seconds: undefined, ...limitsOf(limit), at: 0 };
  if (!found) {
    const text = `${check.missing} (limit ${limit.text})`;
    return { item: { key, label, state: 'CRITICAL', text, word: 'MISSING' }, figure };
  }
  const age = now.getTime() - found.at.getTime();
  figure.seconds = Math.max(0, Math.round(age / 1000));
  figure.at = found.at.getTime() / 1000;
  const text = `${formatAge(age)} old (limit ${limit.text})`;
  const [state, word] =
    age > limit.critMs
      ? (['CRITICAL', `TOO OLD (critical past ${limit.critText})`] as const)
      : age > limit.warnMs
        ? (['WARNING', 'TOO OLD'] as const)
        : (['OK', 'ok'] as const);
  return { item: { key, label, state, text, word, detail: found.what }, figure };
}

/** An age that could not be checked: UNKNOWN, and no figure. */
export function uncheckedAge(key: string, label: string, limit: AgeLimit, why: string): Checked {
  return {
    item: { key, label, state: 'UNKNOWN', text: `could not be checked: ${why}`, word: 'ERROR' },
    figure: { seconds: undefined, ...limitsOf(limit), at: undefined },
  };
}
