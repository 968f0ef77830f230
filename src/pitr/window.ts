/**
 * What a point-in-time recovery may aim at (`restore --to <time|latest|backup label>`) and whether the repository
 * can reach it: from the end of the oldest good backup to the last archived WAL. Refused before anything is
 * touched, naming the reachable window.
 */
import { UsageError } from '../core/errors.js';
import { backupTime, type PhysicalBackup } from './info.js';

export type RecoveryTarget = { kind: 'latest' } | { kind: 'time'; at: string } | { kind: 'backup'; label: string };

const LABEL = /^\d{8}-\d{6}F(?:_\d{8}-\d{6}[DI])?$/;
const HAS_ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

export function parseRecoveryTarget(text: string): RecoveryTarget {
  const value = text.trim();
  if (value === '' || value === 'latest') return { kind: 'latest' };
  if (LABEL.test(value)) return { kind: 'backup', label: value };
  const when = Date.parse(value);
  if (Number.isNaN(when)) {
    throw new UsageError(
      `"${value.slice(0, 60)}" is neither a time, latest, nor a backup label`,
      'give a time with its zone (2026-12-02T14:32:00Z), latest, or a backup label from `pgbackrest ' +
        'info` (20261202-163609F)',
    );
  }
  if (!HAS_ZONE.test(value)) {
    throw new UsageError(
      `the time "${value}" has no time zone`,
      `write it with its zone, e.g. ${new Date(when).toISOString()} for UTC`,
    );
  }
  return { kind: 'time', at: new Date(when).toISOString() };
}

export function describeTarget(target: RecoveryTarget): string {
  if (target.kind === 'latest') return 'the end of the archived WAL (latest)';
  if (target.kind === 'backup') return `the end of backup ${target.label}`;
  return target.at;
}

export interface ReachableWindow {
  from: string;
  /** The last archived WAL segment's time, when the source could say; else the newest backup's end. */
  to: string;
  toKnown: boolean;
}

export function reachableWindow(backups: PhysicalBackup[], lastArchivedAt: string | null): ReachableWindow | null {
  const oldest = backups[0];
  const newest = backups[backups.length - 1];
  if (!oldest || !newest) return null;
  const newestEnd = backupTime(newest.timestamp.stop);
  const to = lastArchivedAt && lastArchivedAt > newestEnd ? lastArchivedAt : newestEnd;
  return { from: backupTime(oldest.timestamp.stop), to, toKnown: lastArchivedAt !== null };
}

/** Throws when the repository cannot reach `target`; returns a warning when the window's end is not known. */
export function checkReachable(
  target: RecoveryTarget,
  backups: PhysicalBackup[],
  lastArchivedAt: string | null,
): string | null {
  const window = reachableWindow(backups, lastArchivedAt);
  if (!window)
    throw new UsageError(
      'the pgBackRest repository holds no good backup to recover from',
      'take one: obexal-runbook physical-backup',
    );
  const span =
    `${window.from} ` + `to ${window.to}${window.toKnown ? '' : ' (or later: the end of the archived WAL is unknown)'}`;
  if (target.kind === 'backup') {
    if (!backups.some((b) => b.label === target.label)) {
      throw new UsageError(
        `the repository holds no backup ${target.label}`,
        `choose one of: ${backups.map((b) => b.label).join(', ')}`,
      );
    }
    return null;
  }
  if (target.kind === 'latest') return null;
  if (target.at < window.from) {
    throw new UsageError(
      `${target.at} is before the oldest recoverable point`,
      `the reachable window is ${span}: choose a time inside it`,
    );
  }
  if (target.at > new Date().toISOString())
    throw new UsageError(`${target.at} is in the future`, `the reachable window is ${span}`);
  if (window.toKnown && target.at > window.to) {
    throw new UsageError(
      `${target.at} is after the last archived WAL`,
      `the reachable window is ${span}: choose a time inside it, or latest`,
    );
  }
  return window.toKnown
    ? null
    : `the end of the archived WAL is unknown (the source cannot be asked): recovery fails if ${target.at} is past it`;
}

/** pgBackRest reads `YYYY-MM-DD HH:MM:SS[.fff]+00` (it cannot select a backup set from an ISO 8601 `T…Z` time). */
export function pgBackRestTime(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '+00');
}

/** pgBackRest restore options for the target; recovery pauses at a time target so that its point can be read. */
export function restoreTargetArgs(target: RecoveryTarget): string[] {
  if (target.kind === 'latest') return ['--type=default'];
  if (target.kind === 'backup') return [`--set=${target.label}`, '--type=immediate', '--target-action=pause'];
  return ['--type=time', `--target=${pgBackRestTime(target.at)}`, '--target-action=pause'];
}
