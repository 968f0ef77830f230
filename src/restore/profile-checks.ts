/**
 * The Obexal-specific checks of a restored database, read through the schema profile (DESIGN §4): the audit log's
 * append-only trigger and the schema migration version. They advise: a table or column that is absent or shaped
 * otherwise gives "not checked: <why>", and a discrepancy is reported as advice, never a failed run.
 */
import type pg from 'pg';
import { messageOf } from '../core/errors.js';
import { qualifiedName, quoteIdent, tableLabel } from '../pg/ident.js';
import type { SchemaProfile } from '../profile/config.js';
import { detectAudit } from '../profile/detect.js';
import { readNewestMigration } from '../profile/migrations.js';
import { notChecked, type CheckOutcome } from './checks.js';
import type { ArchiveInfo } from './types.js';

function advice(name: string, detail: string): CheckOutcome {
  return { name, ok: true, detail, status: 'advice' };
}

function passed(name: string, detail: string): CheckOutcome {
  return { name, ok: true, detail, status: 'ok' };
}

const firstLine = (error: unknown): string => messageOf(error).split('\n')[0] ?? '';

type Probe = { rejected: boolean; why: string } | { rejected: undefined; why: string };

/** A row of the table (its id and its tuple id), or a probe row written for the check when the table is empty. */
async function probeRow(
  client: pg.ClientBase,
  table: string,
  id: string,
  action: string,
): Promise<{ id: string; tid: string } | { why: string }> {
  const row = (
    await client.query<{ id: string; tid: string }>(`SELECT ${id}::text AS id, ctid::text AS tid FROM ${table} LIMIT 1`)
  ).rows[0];
  if (row) return row;
  try {
    const values = `(${action}) VALUES ('obexal-runbook.trigger-check')`;
    const insert = `INSERT INTO ${table} ${values} RETURNING ${id}::text AS id, ctid::text AS tid`;
    const inserted = (await client.query<{ id: string; tid: string }>(insert)).rows[0];
    return inserted ?? { why: 'the probe row written was not returned' };
  } catch (error) {
    return { why: `the table is empty and a probe row cannot be written (${firstLine(error)})` };
  }
}

/**
 * Tries an UPDATE of one row inside a transaction that is always rolled back. The row is found by its tuple id (a
 * TID scan: `id::text = $1` read the whole table, about 0.5 s and a JIT compilation on a 1 GB audit log); by its
 * id only when the tuple id no longer finds it (the row moved meanwhile).
 */
async function updateRejected(client: pg.ClientBase, table: string, profile: SchemaProfile): Promise<Probe> {
  const id = quoteIdent(profile.audit.id);
  const action = quoteIdent(profile.audit.action);
  await client.query('BEGIN');
  try {
    const row = await probeRow(client, table, id, action);
    if ('why' in row) return { rejected: undefined, why: row.why };
    await client.query('SAVEPOINT trigger_check');
    try {
      const update = `UPDATE ${table} SET ${action} = ${action} WHERE`;
      const byTid = await client.query(`${update} ctid = $1::tid`, [row.tid]);
      if (byTid.rowCount === 0) await client.query(`${update} ${id}::text = $1`, [row.id]);
    } catch (error) {
      return { rejected: true, why: firstLine(error) };
    }
    return { rejected: false, why: 'an UPDATE was accepted' };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** The audit log's trigger is there, enabled, and an UPDATE is rejected (inside a transaction rolled back). */
export async function checkAuditTrigger(
  client: pg.ClientBase,
  profile: SchemaProfile,
  archive?: ArchiveInfo,
): Promise<CheckOutcome> {
  const audit = await detectAudit(client, profile);
  if (!audit.found) return notChecked('append-only audit log', audit.why);
  const label = tableLabel(audit.table);
  const name = `${label} append-only trigger`;
  const triggers = await client.query<{ tgname: string }>(
    `SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal AND tgenabled <> 'D'`,
    [qualifiedName(audit.table)],
  );
  if (triggers.rows.length === 0) {
    if (archive?.triggers.some((t) => t.startsWith(`${audit.table.name} `))) {
      return advice(name, `the archive holds a trigger on ${label}, the restored table has no enabled one`);
    }
    const why = `${label} has no trigger, in the dump either: not the append-only log the profile describes`;
    return notChecked(name, why);
  }
  try {
    const probe = await updateRejected(client, qualifiedName(audit.table), profile);
    const names = triggers.rows.map((r) => r.tgname).join(', ');
    if (probe.rejected === undefined) return notChecked(name, `${names} present; ${probe.why}`);
    if (probe.rejected) return passed(name, `${names} rejected an UPDATE (${probe.why})`);
    return advice(name, `an UPDATE of ${label} was accepted: the audit log is not append-only`);
  } catch (error) {
    return notChecked(name, `the probe could not run: ${firstLine(error)}`);
  }
}

/** The newest migration as the manifest recorded it (`expected` undefined: no manifest). */
export async function checkMigration(
  client: pg.ClientBase,
  profile: SchemaProfile,
  expected: string | null | undefined,
): Promise<CheckOutcome> {
  const name = 'schema migration';
  let newest;
  try {
    newest = await readNewestMigration(client, profile);
  } catch (error) {
    return notChecked(name, `the migrations table could not be read: ${firstLine(error)}`);
  }
  if (!newest.checked) return notChecked(name, newest.why);
  const actual = newest.version;
  if (expected === undefined) return passed(name, `version ${actual ?? 'none'} (no manifest to compare with)`);
  if (expected === null && actual !== null) {
    const why = `version ${actual}; the manifest recorded none (its backup could not read the migrations table)`;
    return notChecked(name, why);
  }
  if (actual === expected) return passed(name, `version ${actual ?? 'none'}, as recorded`);
  return advice(name, `version ${actual ?? 'none'}, the manifest recorded ${expected ?? 'none'}`);
}
