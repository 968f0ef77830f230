/**
 * restore.check: the restored database checked against the manifest and the archive. The universal checks
 * (checks.ts) decide; the Obexal checks of the schema profile (profile-checks.ts) advise, and each one the
 * database cannot answer is named "not checked: <why>" in the output and the record.
 */
import type pg from 'pg';
import { StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { withClient } from '../pg/client.js';
import { parseConnectionString } from '../pg/target.js';
import { resolveProfile, type SchemaProfile, type SettingsReader } from '../profile/config.js';
import {
  checkArchiveObjects,
  checkArchiveTables,
  checkExtensions,
  compareRowCounts,
  notChecked,
  type CheckOutcome,
} from './checks.js';
import { checkAuditTrigger, checkMigration } from './profile-checks.js';
import type { VerifiedDump } from './types.js';

/** The exact row counts restore.copy took on the copy it made (its `rowCounts` data). */
export interface CopyCounts {
  database: string;
  oid: number;
  plaintextSha256: string;
  detail: string;
}

export interface CheckParams {
  target: string;
  dump: VerifiedDump;
  /** Counts already taken on this very database (the copy, by its OID) from this dump: not taken again. */
  counted?: CopyCounts | null | undefined;
  /** Overrides PROFILE_AUDIT_TABLE for this step. */
  auditTable?: string | undefined;
}

/** The profile of a step: the settings, with a runbook's `auditTable:` over PROFILE_AUDIT_TABLE. */
export function profileFor(settings: SettingsReader, auditTable?: string): SchemaProfile {
  if (!auditTable) return resolveProfile(settings);
  return resolveProfile({ get: (name) => (name === 'PROFILE_AUDIT_TABLE' ? auditTable : settings.get(name)) });
}

/**
 * Every check of a restored database (also usable on the copy before a swap): `exact` row counts for a copy
 * nobody writes to, `at-least` once the application may be writing.
 */
export async function restoreChecks(
  client: pg.ClientBase,
  dump: VerifiedDump,
  profile: SchemaProfile,
  mode: 'exact' | 'at-least',
  counted?: CopyCounts | null,
): Promise<CheckOutcome[]> {
  const manifest = dump.manifest;
  const noManifest: CheckOutcome = notChecked('row counts', 'no manifest to compare with (the archive decides)');
  return [
    manifest
      ? ((await countedOnThisDatabase(client, dump, counted)) ??
        (await compareRowCounts(client, manifest.rowCounts, mode)))
      : noManifest,
    await checkArchiveTables(client, dump.archive),
    ...(await checkArchiveObjects(client, dump.archive)),
    await checkExtensions(client, dump.archive.extensions),
    await checkAuditTrigger(client, profile, dump.archive),
    await checkMigration(client, profile, manifest ? manifest.schemaMigration.version : undefined),
  ];
}

/**
 * The copy step's exact counts stand for this check when they were taken on this database (same OID, which a
 * rename keeps) from this dump (same SHA-256): the copy is the run's own and nobody writes to it before the swap.
 */
async function countedOnThisDatabase(
  client: pg.ClientBase,
  dump: VerifiedDump,
  counted: CopyCounts | null | undefined,
): Promise<CheckOutcome | undefined> {
  if (!counted || counted.plaintextSha256 !== dump.plaintextSha256) return undefined;
  const row = await client.query<{ oid: string }>(
    'SELECT oid::text AS oid FROM pg_database WHERE datname = current_database()',
  );
  if (Number(row.rows[0]?.oid) !== counted.oid) return undefined;
  const detail = `${counted.detail} (counted exactly on this copy by the step that restored it)`;
  return { name: 'row counts', ok: true, detail, status: 'ok' };
}

export function describeOutcome(o: CheckOutcome): { line: string; level: 'info' | 'warn' } {
  if (o.status === 'not-checked') return { line: `not checked: ${o.name}: ${o.detail}`, level: 'info' };
  if (o.status === 'advice') {
    return { line: `ADVICE (Obexal check, does not fail the restore): ${o.name}: ${o.detail}`, level: 'warn' };
  }
  if (o.ok) return { line: `ok: ${o.name}: ${o.detail}`, level: 'info' };
  return { line: `FAILED: ${o.name}: ${o.detail}`, level: 'warn' };
}

export async function runCheck(params: CheckParams, ctx: ActionContext): Promise<ActionResult> {
  const target = parseConnectionString(params.target);
  const profile = profileFor(ctx.settings, params.auditTable);
  const outcomes = await withClient(
    target,
    (client) => restoreChecks(client, params.dump, profile, 'at-least', params.counted),
    ctx.signal,
  );
  for (const o of outcomes) {
    const { line, level } = describeOutcome(o);
    ctx.output(line, level);
  }
  const failed = outcomes.filter((o) => !o.ok);
  const skipped = outcomes.filter((o) => o.status === 'not-checked');
  const recorded = outcomes.map((o) => ({ name: o.name, ok: o.ok, status: o.status ?? (o.ok ? 'ok' : 'failed') }));
  const data = { checks: outcomes, record: { restoreChecks: recorded } };
  if (failed.length > 0) {
    throw new StepFailedError(
      `${failed.length} check(s) of the restored database ${target.label} failed: ${failed
        .map((f) => `${f.name}: ${f.detail}`)
        .join('; ')}`,
      'the restored database is in place: investigate before letting users in; ' +
        'the previous database is still there in swap mode (<db>__before_<run id>)',
    );
  }
  const ran = outcomes.length - skipped.length;
  const notRun = skipped.length ? `, ${skipped.length} not checked (${skipped.map((s) => s.name).join(', ')})` : '';
  return { message: `${ran} checks passed on ${target.label}${notRun}`, data };
}
