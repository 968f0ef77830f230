/**
 * Fabricated backups for the replication, retention and status tests: a dump of random bytes (no pg_dump
 * needed) and a manifest that validates against the real schema, at any time in the past.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  compactUtc,
  dumpFileName,
  manifestFileName,
  ManifestSchema,
  type BackupReason,
  type Manifest,
} from '../../src/backup/manifest.js';
import { writeRandomFile } from '../s3/fixture.js';
import { tempDir } from '../helpers/temp.js';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface FakeBackupOptions {
  /** When the backup was taken (its name's timestamp and the manifest's start). */
  takenAt: Date;
  size?: number;
  reason?: BackupReason;
  /** A pin until this time. */
  pinUntil?: Date;
  verifiedLocal?: boolean;
  verifiedBucket?: boolean;
  systemIdentifier?: string;
  database?: string;
  /** Write no manifest (a dump whose manifest was lost). */
  noManifest?: boolean;
}

export interface FakeBackup {
  stamp: string;
  dumpName: string;
  manifestName: string;
  sha256: string;
  size: number;
  manifest: Manifest;
}

export function scratchDir(prefix = 'obexal-retention-'): string {
  return tempDir(prefix);
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fakeManifest(
  stamp: string,
  dump: { name: string; size: number; sha256: string },
  options: FakeBackupOptions,
): Manifest {
  const started = options.takenAt.toISOString();
  const finished = new Date(options.takenAt.getTime() + 5_000).toISOString();
  const manifest: Manifest = {
    schema: 'obexal-backup-manifest@v1',
    dump: {
      name: dump.name,
      size: dump.size,
      sha256: dump.sha256,
      plaintextSha256: sha256Hex(`plain-${stamp}`),
      plaintextSize: dump.size,
      encryption: 'age',
      recipients: ['age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq'],
      format: 'pg_dump-custom',
      compression: 'gzip:4',
    },
    startedAt: started,
    finishedAt: finished,
    source: {
      target: '127.0.0.1:5432/obexal',
      database: options.database ?? 'obexal',
      serverVersion: '15.8',
      serverVersionNum: 150008,
      systemIdentifier: options.systemIdentifier ?? '7300000000000000001',
    },
    pgDump: { version: '15.8', major: 15 },
    schemaMigration: { version: '0007', name: 'audit_log' },
    rowCounts: { users: 3 },
    keyEras: [{ label: 'era-1', fingerprint: sha256Hex('era-1') }],
    reason: options.reason ?? 'scheduled',
    pin: options.pinUntil ? { duration: '30d', until: options.pinUntil.toISOString() } : null,
    toolVersion: '0.1.0',
    runId: `run-${stamp}`,
    restoreByHand: [`age -d -i identity.txt ${dump.name} | pg_restore -d obexal`],
    verified: {
      local: options.verifiedLocal ?? true,
      bucket: options.verifiedBucket ?? false,
      bucketCheckedAt: options.verifiedBucket ? finished : null,
    },
  };
  return ManifestSchema.parse(manifest);
}

/** Writes a dump (random bytes) and its manifest into `dir`, both dated `takenAt` on disk too. */
export async function writeFakeBackup(dir: string, options: FakeBackupOptions): Promise<FakeBackup> {
  const stamp = compactUtc(options.takenAt);
  const dumpName = dumpFileName(stamp, true);
  const manifestName = manifestFileName(stamp);
  const size = options.size ?? 2048;
  const path = join(dir, dumpName);
  let sha256: string;
  if (size > 4 * 1024 * 1024) {
    sha256 = await writeRandomFile(path, size);
  } else {
    const bytes = randomBytes(size);
    await writeFile(path, bytes, { mode: 0o600 });
    sha256 = sha256Hex(bytes);
  }
  const manifest = fakeManifest(stamp, { name: dumpName, size, sha256 }, options);
  if (!options.noManifest)
    await writeFile(join(dir, manifestName), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await ageFile(join(dir, dumpName), options.takenAt);
  if (!options.noManifest) await ageFile(join(dir, manifestName), options.takenAt);
  return { stamp, dumpName, manifestName, sha256, size, manifest };
}

export async function ageFile(path: string, when: Date): Promise<void> {
  await utimes(path, when, when);
}

export async function readManifest(dir: string, name: string): Promise<Manifest> {
  return ManifestSchema.parse(JSON.parse(await readFile(join(dir, name), 'utf8')));
}

export function ago(ms: number, now = Date.now()): Date {
  // Whole seconds: the names carry seconds, the manifest the same instant.
  return new Date(Math.floor((now - ms) / 1000) * 1000);
}
