/**
 * restore.properties: after the swap, the database-level properties that a dump restored without `--create`
 * loses and a rename leaves with the old database's OID: owner, connection limit, `ALTER DATABASE … SET`,
 * `ALTER ROLE … IN DATABASE … SET`, grants and comment (encoding and locale were given at CREATE DATABASE by
 * restore.copy). Applied after the checks and reencrypt-secrets, so that a setting such as
 * `default_transaction_read_only` or a revoked CONNECT cannot get in their way. One that cannot be applied (a
 * role missing on this server, a privilege this role lacks) is a warning naming the statement, never a failure;
 * re-running the step is safe (every statement is idempotent).
 */
import { messageOf, StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { parseConnectionString, type PgTarget } from '../pg/target.js';
import { renameIn } from './archive-properties.js';
import { applyStatements, ownerStatement, reapplyStatements } from './db-properties.js';
import type { DatabaseProperties } from './db-properties-schema.js';
import { connectMaintenance } from './server.js';

export interface PropertiesParams {
  target: string;
  properties?: DatabaseProperties | null | undefined;
  /** The owner the copy was created with (null: the restoring role, when the wanted one could not be given). */
  createdOwner?: string | null | undefined;
  /** No manifest and no database replaced: the statements read from the archive (restore.copy's data). */
  archive?: { name: string; owner: string | null; statements: string[] } | null | undefined;
}

/** The statements applied through a maintenance connection (none to apply: no connection). */
async function applyOnServer(
  target: PgTarget,
  statements: string[],
  ctx: ActionContext,
): Promise<{ applied: number; warnings: string[] }> {
  if (statements.length === 0) return { applied: 0, warnings: [] };
  try {
    const admin = await connectMaintenance(target, ctx.signal);
    try {
      return await applyStatements(admin, statements);
    } finally {
      await admin.end().catch(() => undefined);
    }
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new StepFailedError(
      `${target.label} is the restored database, but its database-level properties could not be ` +
        `applied: ${messageOf(error)}`,
      `fix the cause, then finish (the application is started after this step): ` +
        `obexal-runbook ${ctx.runbook} --resume ${ctx.runId}`,
      error,
    );
  }
}

export async function runProperties(params: PropertiesParams, ctx: ActionContext): Promise<ActionResult> {
  const target = parseConnectionString(params.target);
  const props = params.properties;
  const archive = params.archive;
  if (!props && !archive)
    return { message: 'no database-level properties recorded: nothing to apply', data: { applied: 0, warnings: [] } };
  const owner = props ? props.owner : archive?.owner;
  const ownerFirst = owner && params.createdOwner !== owner ? [ownerStatement(target.database, owner)] : [];
  const statements = [
    ...ownerFirst,
    ...(props
      ? reapplyStatements(target.database, props)
      : renameIn({ name: archive!.name, spec: {}, statements: archive!.statements }, target.database)),
  ];
  const outcome = await applyOnServer(target, statements, ctx);
  for (const warning of outcome.warnings) ctx.output(warning, 'warn');
  const summary =
    `${outcome.applied} of ${statements.length} database-level statement(s) applied to ` + `${target.database}`;
  ctx.output(
    `${summary}${outcome.warnings.length ? `; ${outcome.warnings.length} not applied (warnings above)` : ''}`,
    outcome.warnings.length ? 'warn' : 'info',
  );
  return {
    message: outcome.warnings.length ? `${summary}; ${outcome.warnings.length} to apply by hand` : summary,
    data: {
      applied: outcome.applied,
      warnings: outcome.warnings,
      record: { databaseProperties: { applied: outcome.applied, notApplied: outcome.warnings.length } },
    },
  };
}
