/**
 * The value parsers of the backup settings (DESIGN §3): each returns the typed value or throws a UsageError naming
 * the setting, with a hint. parseSettings (parsed-settings.ts) runs them all and collects every problem.
 */
import { UsageError } from './errors.js';

export type BackupEncryption = 'age' | 'none';

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
