/**
 * The pre-restore safety dump of an in-place restore: a dump of the target as it is now, encrypted like any
 * dump, with its manifest (reason `pre-restore`: never `latest`, never the retention floor), made with the
 * backup module's own building blocks so that it restores like any other backup.
 */
import { unlink } from 'node:fs/promises';
import type { ActionContext } from '../engine/action.js';
import { connect } from '../pg/client.js';
import { childEnvFor, type PgTarget } from '../pg/target.js';

export interface SafetyDump {
  name: string;
  path: string;
  manifestPath: string;
  size: number;
}

/** The backup module's building blocks, loaded on demand (the start-up stays lazy). */
async function loadBackupModules() {
  const [config, recipients, backupDir, sourceInfo, pgDumpProgram, dumpFile, manifest, eras, version] =
    await Promise.all([
      import('../backup/config.js'),
      import('../backup/recipients.js'),
      import('../backup/backup-dir.js'),
      import('../backup/source-info.js'),
      import('../backup/pg-dump-program.js'),
      import('../backup/dump-file.js'),
      import('../backup/write-manifest.js'),
      import('../eras/store.js').then(async (store) => ({ ...store, ...(await import('../eras/register.js')) })),
      import('../core/version.js'),
    ]);
  return { config, recipients, backupDir, sourceInfo, pgDumpProgram, dumpFile, manifest, eras, version };
}

export async function makeSafetyDump(ctx: ActionContext, target: PgTarget): Promise<SafetyDump> {
  const m = await loadBackupModules();
  const config = m.config.backupConfigFrom(ctx.settings);
  const recipients = config.encryption === 'age' ? await m.recipients.recipientsFrom(ctx.settings) : [];
  await m.backupDir.ensureBackupDir(config.backupDir);
  const client = await connect(target, ctx.signal);
  let partial: string | undefined;
  try {
    const source = await m.sourceInfo.readSourceInfo(client, target.label);
    const pgDump = await m.pgDumpProgram.resolvePgDump(source.serverMajor, childEnvFor(target), ctx.signal);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id;
    const dump = await m.dumpFile.dumpToFile({
      target,
      pgDump,
      backupDir: config.backupDir,
      compression: config.compression,
      recipients,
      ...(snapshot ? { snapshot } : {}),
      signal: ctx.signal,
      onPartial: (path) => (partial = path),
      onStderr: (line) => {
        if (!/dumping contents of table/.test(line)) ctx.output(line, 'stderr');
      },
    });
    partial = undefined;
    const rowCounts = await m.sourceInfo.countRows(client, await m.sourceInfo.listUserTables(client), ctx.signal);
    const schemaMigration = await m.sourceInfo.readSchemaMigration(client);
    await client.query('COMMIT');
    const register = await m.eras.readLocalRegister(config.backupDir).catch(() => undefined);
    const manifest = m.manifest.buildManifest({
      dump: {
        ...dump,
        encryption: recipients.length > 0 ? 'age' : 'none',
        recipients,
        compression: String(config.compression),
      },
      source: { ...source },
      pgDump,
      rowCounts,
      schemaMigration,
      keyEras: register ? m.eras.eraForDump(register) : [],
      reason: 'pre-restore',
      pin: null,
      toolVersion: m.version.TOOL_VERSION,
      runId: ctx.runId,
    });
    const manifestPath = await m.manifest.writeManifestFile(config.backupDir, dump.stamp, manifest);
    return { name: dump.name, path: dump.path, manifestPath, size: dump.size };
  } finally {
    if (partial) await unlink(partial).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
