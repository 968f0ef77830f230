/**
 * The backup settings of DESIGN §3, validated once: where dumps go, how long they stay, how they are
 * compressed and encrypted. Invalid values are usage errors (exit 2) raised before anything is written.
 */
import { UsageError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { parseDuration } from '../core/duration.js';

export type BackupEncryption = 'age' | 'none';

export interface BackupConfig {
  backupDir: string;
  retentionDays: number;
  /** gzip level for `pg_dump --compress` (0-9). */
  compression: number;
  encryption: BackupEncryption;
}

export function parseRetentionDays(text: string | undefined): number {
  const value = (text ?? '').trim();
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(
      `RETENTION_DAYS "${text ?? ''}" is not a positive whole number of days`,
      "set RETENTION_DAYS to a number of days such as 14 (Obexal's default)",
    );
  }
  return Number(value);
}

export function parseCompression(text: string | undefined): number {
  const value = (text ?? '4').trim();
  if (!/^[0-9]$/.test(value)) {
    throw new UsageError(
      `BACKUP_COMPRESSION "${text ?? ''}" is not a gzip level from 0 to 9`,
      'leave BACKUP_COMPRESSION unset for level 4 (measured about a quarter faster than level 6 for ' +
        'about 5% more size: docs/benchmarks.md)',
    );
  }
  return Number(value);
}

export function parseEncryption(text: string | undefined): BackupEncryption {
  const value = (text ?? 'age').trim().toLowerCase();
  if (value === 'age' || value === 'none') return value;
  throw new UsageError(
    `BACKUP_ENCRYPTION "${text ?? ''}" is neither age nor none`,
    'leave it unset (age, the default); only BACKUP_ENCRYPTION=none turns encryption off, explicitly',
  );
}

export function backupConfigFrom(settings: Pick<Settings, 'get' | 'require'>): BackupConfig {
  return {
    backupDir: settings.require('BACKUP_DIR', 'set BACKUP_DIR to the local folder for dumps, e.g. /var/backups/obexal'),
    retentionDays: parseRetentionDays(settings.get('RETENTION_DAYS')),
    compression: parseCompression(settings.get('BACKUP_COMPRESSION')),
    encryption: parseEncryption(settings.get('BACKUP_ENCRYPTION')),
  };
}

export interface BackupPin {
  duration: string;
  until: string;
}

/** `--pin 30d` → the pin with its expiry; empty or absent → null. */
export function parsePin(text: string | undefined | null, from = new Date()): BackupPin | null {
  const value = (text ?? '').trim();
  if (value === '') return null;
  const ms = parseDuration(value, '--pin');
  if (ms <= 0) throw new UsageError(`--pin ${value} is not a positive duration`, 'write a duration such as 30d or 12h');
  return { duration: value, until: new Date(from.getTime() + ms).toISOString() };
}
