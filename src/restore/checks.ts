/**
 * The checks of a restored database (restore.apply before a swap, restore.check after): row counts against the
 * manifest, the audit log's trigger present and rejecting an UPDATE (tried in a transaction that is rolled
 * back), the schema migration version as recorded, the extensions the archive holds.
 */
import type pg from 'pg';
import { messageOf } from '../core/errors.js';
import { quoteIdent } from './server.js';

export interface CheckOutcome {
  name: string;
  ok: boolean;
  detail: string;
}

function tableRef(key: string): string {
  const dot = key.indexOf('.');
  return dot < 0 ? quoteIdent(key) : `${quoteIdent(key.slice(0, dot))}.${quoteIdent(key.slice(dot + 1))}`;
}

/**
 * `exact`: every table as the manifest counted it. `at-least`: fewer rows is a failure, more is reported (the
 * application may already be writing to the restored database).
 */
export async function compareRowCounts(client: pg.ClientBase, expected: Readonly<Record<string, number>>, mode: 'exact' | 'at-least'): Promise<CheckOutcome> {
  const problems: string[] = [];
  const grown: string[] = [];
  for (const [table, count] of Object.entries(expected)) {
    let actual: number;
    try {
      actual = Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${tableRef(table)}`)).rows[0]?.n ?? -1);
    } catch (error) {
      problems.push(`${table}: ${messageOf(error)}`);
      continue;
    }
    if (actual === count) continue;
    if (mode === 'at-least' && actual > count) grown.push(`${table} ${count}→${actual}`);
    else problems.push(`${table}: ${actual} rows, the manifest counted ${count}`);
  }
  const tables = Object.keys(expected).length;
  if (problems.length > 0) return { name: 'row counts', ok: false, detail: problems.join('; ') };
  return { name: 'row counts', ok: true, detail: `${tables} table(s) as the manifest counted them${grown.length ? ` (grown since, the application is writing: ${grown.join(', ')})` : ''}` };
}

/** The audit log's trigger is there, enabled, and an UPDATE is rejected (inside a transaction rolled back). */
export async function checkAuditTrigger(client: pg.ClientBase, auditTable: string): Promise<CheckOutcome> {
  const name = `${auditTable} append-only trigger`;
  const present = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [auditTable]);
  if (!present.rows[0]?.ok) return { name, ok: false, detail: `table ${auditTable} is missing` };
  const triggers = await client.query<{ tgname: string }>(
    `SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal AND tgenabled <> 'D'`,
    [auditTable],
  );
  if (triggers.rows.length === 0) return { name, ok: false, detail: `no enabled trigger on ${auditTable}` };
  const table = quoteIdent(auditTable);
  await client.query('BEGIN');
  try {
    let id = (await client.query<{ id: string }>(`SELECT id::text AS id FROM ${table} LIMIT 1`)).rows[0]?.id;
    if (id === undefined) {
      id = (await client.query<{ id: string }>(`INSERT INTO ${table} (action) VALUES ('obexal-runbook.trigger-check') RETURNING id::text AS id`)).rows[0]?.id;
    }
    await client.query('SAVEPOINT trigger_check');
    try {
      await client.query(`UPDATE ${table} SET action = action WHERE id::text = $1`, [id]);
    } catch (error) {
      return { name, ok: true, detail: `${triggers.rows.map((r) => r.tgname).join(', ')} rejected an UPDATE (${messageOf(error).split('\n')[0]})` };
    }
    return { name, ok: false, detail: `an UPDATE of ${auditTable} was accepted: the audit log is not append-only` };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

export async function checkMigration(client: pg.ClientBase, expected: string | null | undefined): Promise<CheckOutcome> {
  const present = await client.query<{ ok: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
  const actual = present.rows[0]?.ok
    ? ((await client.query<{ v: unknown }>('SELECT max(version)::text AS v FROM schema_migrations')).rows[0]?.v as string | null) ?? null
    : null;
  if (expected === undefined) return { name: 'schema migration', ok: true, detail: `version ${actual ?? 'none'} (no manifest to compare with)` };
  return actual === expected
    ? { name: 'schema migration', ok: true, detail: `version ${actual ?? 'none'}, as recorded` }
    : { name: 'schema migration', ok: false, detail: `version ${actual ?? 'none'}, the manifest recorded ${expected ?? 'none'}` };
}

export async function checkExtensions(client: pg.ClientBase, expected: readonly string[]): Promise<CheckOutcome> {
  const installed = new Set((await client.query<{ extname: string }>('SELECT extname FROM pg_extension')).rows.map((r) => r.extname));
  const missing = expected.filter((e) => !installed.has(e));
  return missing.length === 0
    ? { name: 'extensions', ok: true, detail: expected.length ? expected.join(', ') : 'none in the dump' }
    : { name: 'extensions', ok: false, detail: `missing: ${missing.join(', ')}` };
}
