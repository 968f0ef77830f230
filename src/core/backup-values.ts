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

/**
 * How the dump is compressed. `zstd`: pg_dump writes an uncompressed archive (`--compress=0`) that the tool
 * compresses with zstd on a thread of its own (Node's zlib), so the compression runs beside pg_dump instead of in
 * it (the file is `.dump.zst.age`: `age -d | zstd -d` gives the archive). `gzip`: pg_dump's own compression at that
 * level (`.dump.age`: `age -d` gives the archive; level 0 is no compression).
 */
export interface DumpCompression {
  codec: 'zstd' | 'gzip';
  level: number;
}

export const DEFAULT_COMPRESSION: DumpCompression = { codec: 'zstd', level: 1 };

/** `zstd:1`, `gzip:4`: the manifest's `dump.compression`, read back by restores. */
export function describeCompression(compression: DumpCompression): string {
  return `${compression.codec}:${compression.level}`;
}

/** What the preflight tells: `zstd level 1 beside pg_dump`, `gzip level 4 in pg_dump`. */
export function compressionWords({ codec, level }: DumpCompression): string {
  if (codec === 'zstd') return `zstd level ${level} beside pg_dump`;
  return level === 0 ? 'not compressed' : `gzip level ${level} in pg_dump`;
}

const COMPRESSION_HINT =
  'leave BACKUP_COMPRESSION unset for zstd:1 (measured about twice as fast as pg_dump -Fc for the same size: ' +
  'docs/benchmarks.md), or write zstd:<1-19>, gzip:<0-9> or a bare gzip level 0-9';

/**
 * Unset → zstd:1, or gzip:4 with BACKUP_ENCRYPTION=none (the plain `.dump` Obexal's own scripts write, which
 * pg_restore reads as it is); `zstd`, `zstd:N` (1-19); `gzip`, `gzip:N` (0-9); a bare digit is a gzip level.
 */
export function parseCompression(text: string | undefined, encryption: BackupEncryption = 'age'): DumpCompression {
  const value = (text ?? '').trim().toLowerCase();
  if (value === '') return encryption === 'none' ? { codec: 'gzip', level: 4 } : DEFAULT_COMPRESSION;
  if (/^[0-9]$/.test(value)) return { codec: 'gzip', level: Number(value) };
  const m = /^(zstd|gzip)(?::(\d{1,2}))?$/.exec(value);
  const codec = m?.[1] as DumpCompression['codec'] | undefined;
  const level = m?.[2] === undefined ? (codec === 'gzip' ? 4 : 1) : Number(m[2]);
  if (codec === 'zstd' && level >= 1 && level <= 19) return { codec, level };
  if (codec === 'gzip' && level <= 9) return { codec, level };
  throw new UsageError(
    `BACKUP_COMPRESSION "${text ?? ''}" is not a gzip level from 0 to 9 (gzip:<0-9>) nor zstd:<1-19>`,
    COMPRESSION_HINT,
  );
}

export function parseEncryption(text: string | undefined): BackupEncryption {
  const value = (text ?? 'age').trim().toLowerCase();
  if (value === 'age' || value === 'none') return value;
  throw new UsageError(
    `BACKUP_ENCRYPTION "${text ?? ''}" is neither age nor none`,
    'leave it unset (age, the default); only BACKUP_ENCRYPTION=none turns encryption off, explicitly',
  );
}
