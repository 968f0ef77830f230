/**
 * The backup settings of DESIGN §3, validated once: where dumps go, how long they stay, how they are
 * compressed and encrypted. Invalid values are usage errors (exit 2) raised before anything is written.
 */
import { UsageError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import type { BackupEncryption, DumpCompression } from '../core/backup-values.js';
import { parsedSettingsOf } from '../core/parsed-settings.js';
import { parseDuration } from '../core/duration.js';

export {
  compressionWords,
  describeCompression,
  parseCompression,
  parseEncryption,
  parseRetentionDays,
  type BackupEncryption,
  type DumpCompression,
} from '../core/backup-values.js';

export interface BackupConfig {
  backupDir: string;
  retentionDays: number;
  compression: DumpCompression;
  encryption: BackupEncryption;
}

/** The backup section of the invocation's parsed settings (core/parsed-settings.ts), under its old names. */
export function backupConfigFrom(settings: Settings): BackupConfig {
  const { dir, retentionDays, compression, encryption } = parsedSettingsOf(settings).backup;
  return { backupDir: dir, retentionDays, compression, encryption };
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
