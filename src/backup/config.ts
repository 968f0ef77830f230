/**
 * The backup settings of DESIGN §3, validated once: where dumps go, how long they stay, how they are
 * compressed and encrypted. Invalid values are usage errors (exit 2) raised before anything is written.
 */
import { UsageError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { parseCompression, parseEncryption, parseRetentionDays, type BackupEncryption } from '../core/backup-values.js';
import { parseDuration } from '../core/duration.js';

export { parseCompression, parseEncryption, parseRetentionDays, type BackupEncryption } from '../core/backup-values.js';

export interface BackupConfig {
  backupDir: string;
  retentionDays: number;
  /** gzip level for `pg_dump --compress` (0-9). */
  compression: number;
  encryption: BackupEncryption;
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
