/**
 * The universal checks of a restored database, which decide whether a restore succeeded (DESIGN §4): row counts
 * against the manifest, the archive's tables, triggers, sequences and large objects present, the extensions the
 * archive holds. What every PostgreSQL database has; nothing here assumes Obexal's schema (profile-checks.ts
 * holds the Obexal-specific ones, which advise).
 */
import type pg from 'pg';
import { messageOf } from '../core/errors.js';
import { qualifiedName, tableKeyCandidates, tableLabel, type TableRef } from '../pg/ident.js';
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

/** Which of `tables` exist as tables in this database (plain or partitioned), in one query; keyed by tableLabel. */
export async function existingTables(client: pg.ClientBase, tables: readonly TableRef[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (tables.length === 0) return found;
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN unnest($1::text[], $2::text[]) AS w(schema, name) ON w.schema = n.nspname AND w.name = c.relname
      WHERE c.relkind IN ('r', 'p')`,
    [tables.map((r) => r.schema), tables.map((r) => r.name)],
  );
  for (const row of rows) found.add(tableLabel(row));
  return found;
}

/** resolveTableKey for many keys in one query (the same readings in the same order). */
export async function resolveTableKeys(
  client: pg.ClientBase,
  keys: readonly string[],
): Promise<Map<string, TableRef | undefined>> {
  const candidates = keys.map((key) => ({ key, readings: tableKeyCandidates(key) }));
  const found = await existingTables(
    client,
    candidates.flatMap((c) => c.readings),
  );
  return new Map(candidates.map(({ key, readings }) => [key, readings.find((r) => found.has(tableLabel(r)))]));
}

/**
 * The row count of every table, in one statement; when it fails (a table this role may not read), each table
 * alone, so that the failure names its table.
 */
export async function countRows(client: pg.ClientBase, tables: readonly TableRef[]): Promise<(number | Error)[]> {
  if (tables.length === 0) return [];
  const columns = tables.map((t, i) => `(SELECT count(*) FROM ${qualifiedName(t)})::text AS "${i}"`);
  try {
    const row = (await client.query<Record<string, string>>(`SELECT ${columns.join(', ')}`)).rows[0] ?? {};
    return tables.map((_, i) => Number(row[String(i)] ?? 0));
  } catch {
    // Ignored: the counts are taken again one by one below, and the one that fails is reported with its table.
    const counts: (number | Error)[] = [];
    for (const table of tables) {
      try {
        counts.push(await countOf(client, `SELECT count(*)::text AS n FROM ${qualifiedName(table)}`));
      } catch (error) {
        counts.push(error instanceof Error ? error : new Error(messageOf(error)));
      }
    }
    return counts;
  }
}

/** Counts the rows of `tables` (`expected`: what the manifest counted in each, for a counter that can use it). */
export type RowCounter = (
  client: pg.ClientBase,
  tables: readonly TableRef[],
  expected: readonly number[],
) => Promise<(number | Error)[]>;

/**
 * `exact`: every table as the manifest counted it. `at-least`: fewer rows is a failure, more is reported (the
 * application may already be writing to the restored database).
 */
export async function compareRowCounts(
  client: pg.ClientBase,
  expected: Readonly<Record<string, number>>,
  mode: 'exact' | 'at-least',
  counter: RowCounter = countRows,
): Promise<CheckOutcome> {
  const problems: string[] = [];
  const grown: string[] = [];
  const entries = Object.entries(expected);
  let resolved: Map<string, TableRef | undefined>;
  try {
    resolved = await resolveTableKeys(
      client,
      entries.map(([key]) => key),
    );
  } catch (error) {
    return { name: 'row counts', ok: false, detail: messageOf(error), status: 'failed' };
  }
  const present = entries.filter(([key]) => resolved.get(key) !== undefined);
  const counts = await counter(
    client,
    present.map(([key]) => resolved.get(key) as TableRef),
    present.map(([, count]) => count),
  );
  const actualOf = new Map(present.map(([key], i) => [key, counts[i] as number | Error]));
  for (const [key, count] of entries) {
    const actual = actualOf.get(key);
    if (actual === undefined) problems.push(`${key}: no such table`);
    else if (actual instanceof Error) problems.push(`${key}: ${messageOf(actual)}`);
    else if (actual === count) continue;
    else if (mode === 'at-least' && actual > count) grown.push(`${key} ${count}→${actual}`);
    else problems.push(`${key}: ${actual} rows, the manifest counted ${count}`);
  }
  const tables = entries.length;
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
  const resolved = await resolveTableKeys(client, archive.tableData);
  const missing = archive.tableData.filter((key) => resolved.get(key) === undefined);
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
