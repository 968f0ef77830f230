import type { ClientBase } from 'pg';
import { quoteIdent } from '../../pg/ident.js';

/** Exact row counts of every ordinary table in the schema (default `public`), by table name. */
export async function tableRowCounts(client: ClientBase, schema = 'public'): Promise<Record<string, number>> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    [schema],
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const ident = `${quoteIdent(schema)}.${quoteIdent(name)}`;
    const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident}`);
    counts[name] = Number(result.rows[0]?.n ?? 0);
  }
  return counts;
}
