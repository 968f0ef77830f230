/** Builds the manifest of DESIGN §4 for a finished dump and writes it beside the dump (0600, atomically). */
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailedError } from '../core/errors.js';
import type { DumpData, PgDumpData, SourceData } from './actions/schemas.js';
import type { BackupPin } from './config.js';
import { manifestFileName, ManifestSchema, PARTIAL_SUFFIX, type BackupReason, type Manifest } from './manifest.js';
import { restoreByHandFor } from './restore-by-hand.js';

export interface ManifestInput {
  dump: DumpData;
  source: SourceData;
  pgDump: PgDumpData;
  rowCounts: Record<string, number>;
  schemaMigration: { version: string | null; name: string | null };
  keyEras: { label: string; fingerprint: string }[];
  keyErasUnregistered?: boolean;
  reason: BackupReason;
  pin: BackupPin | null;
  toolVersion: string;
  runId: string;
}

export function buildManifest(input: ManifestInput): Manifest {
  const draft: Omit<Manifest, 'restoreByHand'> = {
    schema: 'obexal-backup-manifest@v1',
    dump: {
      name: input.dump.name,
      size: input.dump.size,
      sha256: input.dump.sha256,
      plaintextSha256: input.dump.plaintextSha256,
      plaintextSize: input.dump.plaintextSize,
      encryption: input.dump.encryption,
      recipients: input.dump.recipients,
      format: 'pg_dump-custom',
      compression: input.dump.compression,
    },
    startedAt: input.dump.startedAt,
    finishedAt: input.dump.finishedAt,
    source: {
      target: input.source.target,
      database: input.source.database,
      serverVersion: input.source.serverVersion,
      serverVersionNum: input.source.serverVersionNum,
      systemIdentifier: input.source.systemIdentifier,
      encoding: input.source.encoding,
      collate: input.source.collate,
      ctype: input.source.ctype,
      ...(input.source.properties ? { properties: input.source.properties } : {}),
      ...(input.source.objectOwners ? { objectOwners: input.source.objectOwners } : {}),
    },
    pgDump: { version: input.pgDump.version, major: input.pgDump.major },
    schemaMigration: input.schemaMigration,
    rowCounts: input.rowCounts,
    keyEras: input.keyEras.map(({ label, fingerprint }) => ({ label, fingerprint })),
    ...(input.keyErasUnregistered ? { keyErasUnregistered: true } : {}),
    reason: input.reason,
    pin: input.pin,
    toolVersion: input.toolVersion,
    runId: input.runId,
    verified: { local: true, bucket: false, bucketCheckedAt: null },
  };
  return ManifestSchema.parse({ ...draft, restoreByHand: restoreByHandFor(draft) });
}

/** Writes `obexal-<stamp>.manifest.json` beside the dump through a `.partial` file; returns its path. */
export async function writeManifestFile(backupDir: string, stamp: string, manifest: Manifest): Promise<string> {
  const path = join(backupDir, manifestFileName(stamp));
  const partial = `${path}${PARTIAL_SUFFIX}`;
  try {
    await writeFile(partial, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx', flush: true });
    await rename(partial, path);
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw new StepFailedError(
      `cannot write the manifest ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'the dump itself is complete and verified (restore works from the dump alone); free space in ' +
        'BACKUP_DIR and run the backup again',
      error,
    );
  }
  return path;
}
