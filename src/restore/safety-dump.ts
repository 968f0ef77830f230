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

export async function makeSafetyDump(ctx: ActionContext, target: PgTarget): Promise<SafetyDump> {
  const [
    { backupConfigFrom },
    { recipientsFrom },
    { ensureBackupDir },
    sourceInfo,
    { resolvePgDump },
    { dumpToFile },
    { buildManifest, writeManifestFile },
    eras,
    { TOOL_VERSION },
  ] = await Promise.all([
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
  const config = backupConfigFrom(ctx.settings);
  const recipients = config.encryption === 'age' ? await recipientsFrom(ctx.settings) : [];
  await ensureBackupDir(config.backupDir);
  const client = await connect(target, ctx.signal);
  let partial: string | undefined;
  try {
    const source = await sourceInfo.readSourceInfo(client, target.label);
    const pgDump = await resolvePgDump(source.serverMajor, childEnvFor(target), ctx.signal);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id;
    const dump = await dumpToFile({
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
    const rowCounts = await sourceInfo.countRows(client, await sourceInfo.listUserTables(client), ctx.signal);
    const schemaMigration = await sourceInfo.readSchemaMigration(client);
    await client.query('COMMIT');
    const register = await eras.readLocalRegister(config.backupDir).catch(() => undefined);
    const manifest = buildManifest({
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
      keyEras: register ? eras.eraForDump(register) : [],
      reason: 'pre-restore',
      pin: null,
      toolVersion: TOOL_VERSION,
      runId: ctx.runId,
    });
    const manifestPath = await writeManifestFile(config.backupDir, dump.stamp, manifest);
    return { name: dump.name, path: dump.path, manifestPath, size: dump.size };
  } finally {
    if (partial) await unlink(partial).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
