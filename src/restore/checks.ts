/**
 * The universal checks of a restored database, which decide whether a restore succeeded (DESIGN §4): row counts
 * against the manifest, the archive's tables, triggers, sequences and large objects present, the extensions the
 * archive holds. What every PostgreSQL database has; nothing here assumes Obexal's schema (profile-checks.ts
 * holds the Obexal-specific ones, which advise).
 */
import type pg from 'pg';
import { messageOf } from '../core/errors.js';
import { qualifiedName, tableKeyCandidates, type TableRef } from '../pg/ident.js';
import { tableExists } from '../profile/detect.js';
import type { ArchiveInfo } from './types.js';

export interface CheckOutcome {
  name: string;
  /** False only for a check that failed (a check that could not run is `ok` and `status: 'not-checked'`). */
  ok: boolean;
  detail: string;
  /** `not-checked`: the profile's table or column is absent or shaped otherwise; `advice`: an Obexal check failed. */
  status?: 'ok' | 'failed' | 'not-checked' | 'advice';
}

export function notChecked(name: string, why: string): CheckOutcome {
  return { name, ok: true, detail: why, status: 'not-checked' };
}

/** The table a key names in this database: its intended reading, else an old manifest's other reading. */
export async function resolveTableKey(client: pg.ClientBase, key: string): Promise<TableRef | undefined> {
  for (const candidate of tableKeyCandidates(key)) if (await tableExists(client, candidate)) return candidate;
  return undefined;
}

/**
 * `exact`: every table as the manifest counted it. `at-least`: fewer rows is a failure, more is reported (the
 * application may already be writing to the restored database).
 */
export async function compareRowCounts(
  client: pg.ClientBase,
  expected: Readonly<Record<string, number>>,
  mode: 'exact' | 'at-least',
): Promise<CheckOutcome> {
  const problems: string[] = [];
  const grown: string[] = [];
  for (const [key, count] of Object.entries(expected)) {
    let actual: number;
    try {
      const table = await resolveTableKey(client, key);
      if (!table) {
        problems.push(`${key}: no such table`);
        continue;
      }
      actual = await countOf(client, `SELECT count(*)::text AS n FROM ${qualifiedName(table)}`);
    } catch (error) {
      problems.push(`${key}: ${messageOf(error)}`);
      continue;
    }
    if (actual === count) continue;
    if (mode === 'at-least' && actual > count) grown.push(`${key} ${count}→${actual}`);
    else problems.push(`${key}: ${actual} rows, the manifest counted ${count}`);
  }
  const tables = Object.keys(expected).length;
  if (problems.length > 0) return { name: 'row counts', ok: false, detail: problems.join('; '), status: 'failed' };
  if (tables === 0) return { name: 'row counts', ok: true, detail: 'the manifest counted no table', status: 'ok' };
  const growth = grown.length ? ` (grown since, the application is writing: ${grown.join(', ')})` : '';
  const detail = `${tables} table(s) as the manifest counted them${growth}`;
  return { name: 'row counts', ok: true, detail, status: 'ok' };
}

function verdict(name: string, problems: string[], okDetail: string): CheckOutcome {
  if (problems.length > 0) return { name, ok: false, detail: problems.join('; '), status: 'failed' };
  return { name, ok: true, detail: okDetail, status: 'ok' };
}

/** Every table whose data the archive holds exists in the restored database. */
export async function checkArchiveTables(client: pg.ClientBase, archive: ArchiveInfo): Promise<CheckOutcome> {
  const missing: string[] = [];
  for (const key of archive.tableData) if (!(await resolveTableKey(client, key))) missing.push(key);
  const problems = missing.length ? [`missing: ${missing.join(', ')}`] : [];
  return verdict('archive tables', problems, `${archive.tableData.length} table(s) of the archive present`);
}

async function countOf(client: pg.ClientBase, sql: string): Promise<number> {
  return Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
}

/** As many triggers, sequences and large objects as the archive's table of contents holds (or more). */
export async function checkArchiveObjects(client: pg.ClientBase, archive: ArchiveInfo): Promise<CheckOutcome[]> {
  const triggers = await countOf(client, `SELECT count(*)::text AS n FROM pg_trigger WHERE NOT tgisinternal`);
  const sequences = await countOf(client, `SELECT count(*)::text AS n FROM pg_class WHERE relkind = 'S'`);
  const largeObjects = await countOf(client, 'SELECT count(*)::text AS n FROM pg_largeobject_metadata');
  const compare = (name: string, found: number, expected: number) =>
    verdict(
      name,
      found < expected ? [`${found} in the database, the archive holds ${expected}`] : [],
      `${found} (the archive holds ${expected})`,
    );
  return [
    compare('triggers', triggers, archive.triggers.length),
    compare('sequences', sequences, archive.sequences ?? 0),
    compare('large objects', largeObjects, archive.largeObjects ?? 0),
  ];
}

export async function checkExtensions(client: pg.ClientBase, expected: readonly string[]): Promise<CheckOutcome> {
  const rows = (await client.query<{ extname: string }>('SELECT extname FROM pg_extension')).rows;
  const installed = new Set(rows.map((r) => r.extname));
  const missing = expected.filter((e) => !installed.has(e));
  const problems = missing.length ? [`missing: ${missing.join(', ')}`] : [];
  return verdict('extensions', problems, expected.length ? expected.join(', ') : 'none in the dump');
}
