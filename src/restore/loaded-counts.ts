/**
 * The exact row counts of the swap's copy without reading its tables a second time. The copy is a database this
 * run created from template0 and nothing but pg_restore writes to before the swap: each plain table holds exactly
 * the rows pg_restore's COPY inserted into it, which the server's cumulative statistics count for that table
 * (`pg_stat_get_tuples_inserted`, kept apart from any other database's; none deleted or dead). Counted this way a
 * 1 GB restore saves the full scan of every table (0.4-3 s on 2 cores). A table whose figure is not the manifest's
 * (statistics off by `track_counts`, not yet reported by a pg_restore session that just ended, reset, a
 * PostgreSQL before 15 whose collector lags), a partitioned table or one with inheritance children (whose
 * `count(*)` includes rows the statistics give to other tables) is counted with `count(*)` as before: on a copy
 * only pg_restore wrote to, a figure from the statistics spares a count that would have agreed, never passes one
 * that would not.
 */
import type pg from 'pg';
import { countRows } from './checks.js';
import type { TableRef } from '../pg/ident.js';

interface LoadedRow {
  i: number;
  inserted: string;
  deleted: string;
  dead: string;
  live: string;
}

/**
 * Rows inserted per table (by index in `tables`), for plain tables without inheritance children whose statistics
 * say no row was deleted and none is dead (a row whose insert was rolled back is), and whose live rows are the
 * inserted ones: exactly until an autovacuum's ANALYZE puts an estimate in their place (within a few per cent,
 * hence the 10% allowed), while a TRUNCATE drops them to 0. Any other table is left out (counted).
 */
export async function rowsLoaded(client: pg.ClientBase, tables: readonly TableRef[]): Promise<Map<number, number>> {
  const { rows } = await client.query<LoadedRow>(
    `SELECT (w.i - 1)::int AS i, pg_stat_get_tuples_inserted(c.oid)::text AS inserted,
            pg_stat_get_tuples_deleted(c.oid)::text AS deleted, pg_stat_get_dead_tuples(c.oid)::text AS dead,
            pg_stat_get_live_tuples(c.oid)::text AS live
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(schema, name, i)
       JOIN pg_namespace n ON n.nspname = w.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
      WHERE c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhparent = c.oid)`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  const found = new Map<number, number>();
  for (const row of rows) {
    const [inserted, live] = [Number(row.inserted), Number(row.live)];
    const untouched = Number(row.deleted) === 0 && Number(row.dead) === 0;
    if (untouched && Math.abs(live - inserted) <= inserted / 10) found.set(row.i, inserted);
  }
  return found;
}

/**
 * A `countRows` for a freshly restored copy: a table whose inserted rows equal what the manifest counted takes
 * that figure; every other one is counted with `count(*)` (`expected[i]` is the manifest's count of `tables[i]`).
 */
export async function loadedRowCounts(
  client: pg.ClientBase,
  tables: readonly TableRef[],
  expected: readonly number[],
): Promise<(number | Error)[]> {
  let inserted: Map<number, number>;
  try {
    inserted = await rowsLoaded(client, tables);
  } catch {
    // Ignored: the statistics are a shortcut only; every table is counted with count(*) below instead.
    inserted = new Map();
  }
  const toCount = tables.map((_, i) => i).filter((i) => inserted.get(i) !== expected[i]);
  const counted = await countRows(
    client,
    toCount.map((i) => tables[i] as TableRef),
  );
  const byIndex = new Map(toCount.map((i, k) => [i, counted[k] as number | Error]));
  return tables.map((_, i) => byIndex.get(i) ?? (inserted.get(i) as number));
}
