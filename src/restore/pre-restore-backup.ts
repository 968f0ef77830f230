/**
 * The pre-restore safety dump of an in-place restore: the backup runbook's own dump and manifest steps
 * (`backup.dump`, `backup.manifest` of runbooks/backup.yaml) run on the target as it is now, with reason
 * `pre-restore` (never `latest`, never the retention floor). It is dumped, encrypted, verified on disk and described
 * like any backup, and restores like one. Its key era is read from the local register, which is never created here.
 */
import { StepFailedError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { connect } from '../pg/client.js';
import { childEnvFor, parseConnectionString, type PgTarget } from '../pg/target.js';

export interface SafetyDump {
  name: string;
  path: string;
  manifestPath: string;
  size: number;
}

/** What the backup's preflight hands its dump step: the source, its tables' sizes, the matching pg_dump. */
async function readSource(ctx: ActionContext, target: PgTarget) {
  const [{ readSourceInfo, readSourceSizes }, { resolvePgDump }] = await Promise.all([
    import('../backup/source-info.js'),
    import('../backup/pg-dump-program.js'),
  ]);
  const client = await connect(target, ctx.signal);
  try {
    const source = await readSourceInfo(client, target.label);
    const { relationBytes } = await readSourceSizes(client);
    const pgDump = await resolvePgDump(source.serverMajor, childEnvFor(target), ctx.signal);
    return { source, relationBytes, pgDump };
  } finally {
    await client.end().catch(() => undefined); // the readings are done; a failing close changes nothing
  }
}

/** The key era(s) in force from the local register; none (recorded as unregistered) without one. */
async function keyErasInForce(ctx: ActionContext) {
  const [{ readLocalRegister }, { eraForDump }] = await Promise.all([
    import('../eras/store.js'),
    import('../eras/register.js'),
  ]);
  // An unreadable register counts as absent: the safety dump is still taken, its era recorded as unregistered.
  const register = await readLocalRegister(ctx.settings.require('BACKUP_DIR')).catch((error: unknown) => {
    ctx.output(
      `the key-era register cannot be read (${(error as Error).message}): the safety dump's era is recorded as ` +
        'unregistered (a restore of it finds the key by trial decryption); repair the register after this restore',
      'warn',
    );
    return undefined;
  });
  return { keyEras: register ? eraForDump(register) : [], keyErasUnregistered: !register };
}

export async function makeSafetyDump(ctx: ActionContext, target: PgTarget): Promise<SafetyDump> {
  // The backup steps dump DATABASE_URL: it must be the target this restore replaces.
  const named = parseConnectionString(ctx.settings.require('DATABASE_URL')).label;
  if (named !== target.label)
    throw new StepFailedError(
      `the safety dump is taken of DATABASE_URL (${named}), not of the target ${target.label}`,
      'an in-place restore replaces the database DATABASE_URL names: restore into that one',
    );
  const [{ backupDumpAction }, { backupManifestAction }] = await Promise.all([
    import('../backup/actions/dump.js'),
    import('../backup/actions/manifest.js'),
  ]);
  const { source, relationBytes, pgDump } = await readSource(ctx, target);
  const dumped = await backupDumpAction.run(backupDumpAction.params.parse({ source, pgDump, relationBytes }), ctx);
  const data = (dumped?.data ?? {}) as { dump?: SafetyDump; rowCounts?: unknown; schemaMigration?: unknown };
  const manifestParams = backupManifestAction.params.parse({
    dump: data.dump,
    source,
    pgDump,
    rowCounts: data.rowCounts,
    schemaMigration: data.schemaMigration,
    ...(await keyErasInForce(ctx)),
    reason: 'pre-restore',
    pin: null,
  });
  const written = await backupManifestAction.run(manifestParams, ctx);
  const manifestPath = String(written?.data?.manifestPath ?? '');
  const { name, path, size } = manifestParams.dump;
  return { name, path, manifestPath, size };
}
