import { z } from 'zod';
import { defineAction } from '../../engine/action.js';
import { BACKUP_REASONS, type BackupReason } from '../manifest.js';
import {
  DumpDataSchema,
  EraRefSchema,
  PgDumpSchema,
  RowCountsSchema,
  SchemaMigrationSchema,
  SourceSchema,
} from './schemas.js';

/** Writes the manifest beside the dump (DESIGN §4). */
export const backupManifestAction = defineAction({
  name: 'backup.manifest',
  description:
    'write the manifest beside the dump: checksums, source, row counts, key eras, reason, pin, ' +
    'restore-by-hand commands',
  params: z
    .object({
      dump: DumpDataSchema,
      source: SourceSchema,
      pgDump: PgDumpSchema,
      rowCounts: RowCountsSchema,
      schemaMigration: SchemaMigrationSchema,
      keyEras: z.array(EraRefSchema).default([]),
      keyErasUnregistered: z.boolean().default(false),
      reason: z.string().default('scheduled'),
      pin: z.string().nullish(),
    })
    .strict(),
  describe: () => 'write obexal-<stamp>.manifest.json beside the dump',
  async run(params, ctx) {
    const [{ buildManifest, writeManifestFile }, { parsePin }, { TOOL_VERSION }, { UsageError }] = await Promise.all([
      import('../write-manifest.js'),
      import('../config.js'),
      import('../../core/version.js'),
      import('../../core/errors.js'),
    ]);
    const reason = (params.reason || 'scheduled') as BackupReason;
    if (!BACKUP_REASONS.includes(reason))
      throw new UsageError(`"${params.reason}" is not a backup reason`, `one of: ${BACKUP_REASONS.join(', ')}`);
    const pin = parsePin(params.pin, new Date(params.dump.finishedAt));
    const manifest = buildManifest({
      dump: params.dump,
      source: params.source,
      pgDump: params.pgDump,
      rowCounts: params.rowCounts,
      schemaMigration: params.schemaMigration,
      keyEras: params.keyEras,
      keyErasUnregistered: params.keyErasUnregistered,
      reason,
      pin,
      toolVersion: TOOL_VERSION,
      runId: ctx.runId,
    });
    const backupDir = ctx.settings.require('BACKUP_DIR');
    const path = await writeManifestFile(backupDir, params.dump.stamp, manifest);
    const tables = Object.keys(manifest.rowCounts).length;
    const rows = Object.values(manifest.rowCounts).reduce((a, b) => a + b, 0);
    const eras =
      manifest.keyEras.map((e) => e.label).join(', ') ||
      (manifest.keyErasUnregistered ? 'unregistered' : 'none recorded');
    ctx.output(
      `key era(s): ${eras}; ` +
        `schema migration ${manifest.schemaMigration.version ?? 'none'}; ${rows} row(s) in ${tables} ` +
        `table(s)`,
      'info',
    );
    return {
      message: `${path.split('/').pop()} written`,
      data: {
        manifest: path.split('/').pop(),
        manifestPath: path,
        dump: manifest.dump.name,
        dumpPath: params.dump.path,
        record: {
          dump: {
            name: manifest.dump.name,
            size: manifest.dump.size,
            sha256: manifest.dump.sha256,
            reason: manifest.reason,
            pin: manifest.pin,
            startedAt: manifest.startedAt,
            finishedAt: manifest.finishedAt,
          },
          keyEras: manifest.keyEras,
          ...(manifest.keyErasUnregistered ? { keyErasUnregistered: true } : {}),
        },
      },
    };
  },
});
