/**
 * rollback.plan: migrations are forward-only, so a rollback is a redeploy of the previous image, and only a
 * breaking migration needs the pre-deploy dump restored. This step works out which migrations the deployment
 * applied (named by the operator, or those the database recorded after the pre-deploy backup's schema version),
 * how each one stands with version N-1, and the pre-deploy backup (reason pre-migration, of this database, the
 * newest taken before the deployment). It touches nothing; a breaking migration without such a backup is refused
 * with what to do instead.
 */
import { StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import type { StoredBackup } from '../backup/inventory.js';
import { withClient } from '../pg/client.js';
import { parseConnectionString } from '../pg/target.js';
import { readCatalog, refOf, type Catalog } from '../restore/catalog.js';
import { systemIdentifier } from '../restore/server.js';
import { resolveProfile } from '../profile/config.js';
import {
  classifyMigrations,
  parseMigrationList,
  readAppliedMigrations,
  readCompatibilityFile,
  type AppliedMigration,
  type RollbackMigration,
} from './migrations.js';

export interface PlanParams {
  previousImage: string;
  migrations?: string | undefined;
  deployedAt?: string | undefined;
  target?: string | undefined;
  compatibilityFile?: string | undefined;
}

export const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/;

interface Live {
  source?: string;
  applied: AppliedMigration[];
}

async function readLive(ctx: ActionContext, url: string | undefined): Promise<Live> {
  if (!url) {
    ctx.output('DATABASE_URL is not set: the migrations cannot be read from the database', 'warn');
    return { applied: [] };
  }
  const target = parseConnectionString(url);
  return withClient(
    target,
    async (client) => ({
      source: `${await systemIdentifier(client)}/${target.database}`,
      applied: await readAppliedMigrations(client, resolveProfile(ctx.settings)),
    }),
    ctx.signal,
  );
}

/** The pre-migration backups of this source that are whole, newest first (the local copy before the bucket's). */
export function preMigrationBackups(catalog: Catalog, source: string | undefined): StoredBackup[] {
  const all = [...(catalog.local?.backups ?? []), ...(catalog.bucket?.backups ?? [])].filter(
    (b) =>
      b.reason === 'pre-migration' &&
      b.complete &&
      b.dump !== undefined &&
      (source === undefined || b.source === source),
  );
  all.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || (a.location === 'local' ? -1 : 1));
  return all.filter((b, i) => all.findIndex((o) => o.stamp === b.stamp) === i);
}

function schemaVersionOf(backup: StoredBackup): number | null {
  const text = backup.manifest?.schemaMigration.version;
  const version = text === null || text === undefined ? NaN : Number(text);
  return Number.isFinite(version) ? version : null;
}

function parseTime(text: string | undefined): Date | undefined {
  if (!text || text.trim() === '') return undefined;
  const date = new Date(text.trim());
  if (Number.isNaN(date.getTime()))
    throw new UsageError(
      `"${text}" is not a date and time`,
      'give the deployment time as ISO 8601, e.g. 2026-11-24T18:30:00Z',
    );
  return date;
}

const describeMigration = (m: RollbackMigration | AppliedMigration): string =>
  `${m.version}${m.name ? ` (${m.name})` : ''}`;

function refusal(
  breaking: RollbackMigration[],
  deploymentAt: Date,
  image: string,
  source: string | undefined,
  catalog: Catalog,
): StepFailedError {
  const older = [...(catalog.local?.backups ?? []), ...(catalog.bucket?.backups ?? [])]
    .filter(
      (b) =>
        b.verified &&
        b.reason !== 'pre-restore' &&
        b.takenAt <= deploymentAt &&
        (source === undefined || b.source === source),
    )
    .sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime())[0];
  const olderRef = older ? refOf(older) : undefined;
  const restoreOlder = older
    ? `restore the newest backup taken before the deployment, ${olderRef} ` +
      `(${older.takenAt.toISOString()}, reason ${older.reason ?? '?'}), with \`obexal-runbook ` +
      `restore ${olderRef}\``
    : 'restore a backup taken before the deployment with `obexal-runbook restore`';
  return new StepFailedError(
    `rollback refused: ` +
      `migration${breaking.length > 1 ? 's' : ''} ${breaking.map(describeMigration).join(', ')} ` +
      `${breaking.length > 1 ? 'are' : 'is'} ` +
      `breaking (the previous image cannot run on ${breaking.length > 1 ? 'them' : 'it'}), ` +
      (`and no pre-migration backup of this database taken before the deployment ` +
        `(${deploymentAt.toISOString()}) exists in BACKUP_DIR or in the bucket. Nothing was changed.`),
    `what to do instead: (1) roll forward: fix the new image, or write a migration that makes the ` +
      `schema readable by the previous image again, and deploy it; ` +
      `(2) ${restoreOlder}: ` +
      `everything written since it was taken is lost; then deploy ${image} through APP_DEPLOY_COMMAND; ` +
      (`(3) if the migrations are in fact additive, correct MIGRATION_COMPATIBILITY_FILE (or the ` +
        `answer) and run rollback again. `) +
      'Next time: `obexal-runbook backup --reason pre-migration` before every deployment that migrates',
  );
}

function imageReference(previousImage: string): string {
  const image = previousImage.trim();
  if (!IMAGE_REFERENCE.test(image))
    throw new UsageError(
      `"${previousImage}" is not an image reference`,
      'give the previous version as the deployment names it, e.g. ghcr.io/obexal/auth-service:1.41.2',
    );
  return image;
}

/** The pre-migration backups taken before the deployment, when its time is known (all of them otherwise). */
function takenBeforeDeployment(candidates: StoredBackup[], deployedAt: Date | undefined): StoredBackup[] {
  return deployedAt ? candidates.filter((b) => b.takenAt.getTime() <= deployedAt.getTime()) : candidates;
}

/** The pre-deploy backup of migrations named by the operator. */
function backupBeforeVersions(
  pool: StoredBackup[],
  versions: number[],
  byVersion: Map<number, AppliedMigration>,
): StoredBackup | undefined {
  const lowest = versions[0];
  const firstApplied = lowest === undefined ? undefined : byVersion.get(lowest)?.appliedAt;
  // The schema version in the manifest proves "before the migration" whatever the clocks say; the time of the
  // first migration (the database server's clock) serves only for a manifest without a version.
  return pool.find((b) => {
    const version = schemaVersionOf(b);
    if (lowest === undefined) return true;
    if (version !== null) return version < lowest;
    return !firstApplied || b.takenAt.getTime() <= Date.parse(firstApplied);
  });
}

/** The migrations the deployment applied, when the operator named none: after the backup, the time, or asked. */
async function inferredVersions(
  ctx: ActionContext,
  live: Live,
  backup: StoredBackup | undefined,
  deployedAt: Date | undefined,
): Promise<number[]> {
  if (backup) {
    const since = schemaVersionOf(backup);
    const takenAt = backup.takenAt.getTime();
    return live.applied
      .filter((m) => (since !== null ? m.version > since : m.appliedAt !== null && Date.parse(m.appliedAt) > takenAt))
      .map((m) => m.version);
  }
  if (deployedAt) {
    return live.applied
      .filter((m) => m.appliedAt !== null && Date.parse(m.appliedAt) >= deployedAt.getTime())
      .map((m) => m.version);
  }
  const answer = await ctx.interactor.text(
    {
      kind: 'text',
      name: 'migrations',
      message:
        'No pre-migration backup says where the deployment started: which migrations did it ' +
        'apply? (versions, comma-separated, or none)',
    },
    ctx.signal,
  );
  return parseMigrationList(answer) ?? [];
}

function reportMigrations(ctx: ActionContext, migrations: RollbackMigration[], backup: StoredBackup | undefined): void {
  for (const m of migrations)
    ctx.output(
      `migration ${describeMigration(m)}: ${m.compatibility} ` +
        `(${m.compatibilityFrom === 'file' ? 'MIGRATION_COMPATIBILITY_FILE' : 'answered'})` +
        `${m.appliedAt ? `, applied ${m.appliedAt}` : ''}`,
      'info',
    );
  if (migrations.length === 0)
    ctx.output('no migration was applied since the pre-deploy backup: the previous image runs on this schema', 'info');
  if (backup)
    ctx.output(
      `pre-deploy backup: ${refOf(backup)} taken ${backup.takenAt.toISOString()} (schema ` +
        `version ${schemaVersionOf(backup) ?? '?'}${backup.verified ? ', verified' : ''})`,
      'info',
    );
}

function reportBranch(
  ctx: ActionContext,
  breaking: RollbackMigration[],
  image: string,
  dump: string | null,
  backup: StoredBackup | undefined,
): void {
  if (breaking.length === 0)
    ctx.output(`every migration since the pre-deploy backup is additive: redeploy ${image}, no restore`, 'info');
  else {
    ctx.output(
      `breaking: ${breaking.map(describeMigration).join(', ')}: restore ${dump} (data written ` +
        `since ${backup!.takenAt.toISOString()} is lost), then redeploy ${image}`,
      'warn',
    );
    ctx.output(
      'the restore replaces the database: it asks for the typed confirmation (headless: ' +
        'CONFIRM=yes) and keeps the migrated database beside it',
      'info',
    );
  }
}

function planResult(
  image: string,
  migrations: RollbackMigration[],
  breaking: RollbackMigration[],
  deploymentAt: Date,
  dump: string | null,
  backup: StoredBackup | undefined,
): ActionResult {
  const branch = breaking.length === 0 ? 'redeploy' : 'restore';
  const summary = {
    previousImage: image,
    branch,
    migrations: migrations.map((m) => ({
      version: m.version,
      name: m.name,
      compatibility: m.compatibility,
      from: m.compatibilityFrom,
      appliedAt: m.appliedAt,
    })),
    deploymentAt: deploymentAt.toISOString(),
    preDeployBackup: dump,
    preDeployBackupTakenAt: backup ? backup.takenAt.toISOString() : null,
  };
  return {
    message:
      branch === 'redeploy'
        ? `${migrations.length} migration(s), all additive: redeploy ${image}`
        : `breaking migration(s) ${breaking.map((m) => m.version).join(', ')}: restore ${dump}, then redeploy ${image}`,
    data: { ...summary, restore: branch === 'restore', dump, record: { rollback: summary } },
  };
}

export async function runPlan(params: PlanParams, ctx: ActionContext): Promise<ActionResult> {
  const image = imageReference(params.previousImage);
  const explicit = parseMigrationList(params.migrations);
  const deployedAt = parseTime(params.deployedAt);
  const live = await readLive(ctx, params.target);
  const catalog = await readCatalog(ctx.settings, ctx.signal);
  if (catalog.bucketProblem)
    ctx.output(`the bucket could not be listed (${catalog.bucketProblem}): only BACKUP_DIR is searched`, 'warn');
  const candidates = preMigrationBackups(catalog, live.source);
  const pool = takenBeforeDeployment(candidates, deployedAt);
  const byVersion = new Map(live.applied.map((m) => [m.version, m]));

  let versions: number[];
  let backup: StoredBackup | undefined;
  if (explicit !== undefined) {
    versions = explicit;
    backup = backupBeforeVersions(pool, versions, byVersion);
  } else {
    backup = pool[0];
    versions = await inferredVersions(ctx, live, backup, deployedAt);
  }
  for (const v of versions)
    if (!byVersion.has(v) && live.source)
      ctx.output(`migration ${v} is not recorded in the database's schema_migrations (taken as named)`, 'warn');
  const firstAppliedAt = versions.map((v) => byVersion.get(v)?.appliedAt).find((a): a is string => Boolean(a));
  const deploymentAt = deployedAt ?? (firstAppliedAt ? new Date(firstAppliedAt) : new Date());

  const fileName = params.compatibilityFile || ctx.settings.get('MIGRATION_COMPATIBILITY_FILE');
  const known = await readCompatibilityFile(fileName);
  const migrations = await classifyMigrations(
    ctx,
    versions.map((v) => byVersion.get(v) ?? { version: v, name: null, appliedAt: null }),
    known,
  );
  reportMigrations(ctx, migrations, backup);

  const breaking = migrations.filter((m) => m.compatibility === 'breaking');
  if (breaking.length > 0 && !backup) throw refusal(breaking, deploymentAt, image, live.source, catalog);
  const dump = backup ? (refOf(backup) ?? null) : null;
  reportBranch(ctx, breaking, image, dump, backup);
  return planResult(image, migrations, breaking, deploymentAt, dump, backup);
}
