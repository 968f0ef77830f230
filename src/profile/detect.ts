/**
 * Detection: what of the profile a database has, and in the expected shape. Every function answers either the
 * table found (with what the checks need) or why there is nothing to check; none of them throws on a table
 * that is absent or shaped otherwise, so an Obexal check can say "not checked: <why>" and never fail a run.
 */
import type { ClientBase } from 'pg';
import { tableLabel, type TableRef } from '../pg/ident.js';
import type { ProfileTable, SchemaProfile } from './config.js';

export type Detected<T> = ({ found: true; table: TableRef } & T) | { found: false; why: string };

/** Column name → type (`format_type`), empty when the table does not exist. */
export async function columnsOf(client: ClientBase, table: TableRef): Promise<Map<string, string>> {
  const rows = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
    [table.schema, table.name],
  );
  return new Map(rows.rows.map((r) => [r.name, r.type]));
}

export async function tableExists(client: ClientBase, table: TableRef): Promise<boolean> {
  const row = await client.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')) AS ok`,
    [table.schema, table.name],
  );
  return row.rows[0]?.ok ?? false;
}

/** The table with its columns, or why not: turned off, absent, or without one of `required`. */
type WithColumns = Detected<{ columns: Map<string, string> }>;

async function detectTable(client: ClientBase, entry: ProfileTable, required: readonly string[]): Promise<WithColumns> {
  if (!entry.table) return { found: false, why: entry.why };
  const columns = await columnsOf(client, entry.table);
  const label = tableLabel(entry.table);
  if (columns.size === 0) return { found: false, why: `there is no table ${label} (${entry.setting} names another)` };
  const missing = required.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    const why = `${label} has no column ${missing.join(', ')}: it is shaped otherwise than the profile expects`;
    return { found: false, why: `${why} (see ${entry.setting} and its *_COLUMN settings)` };
  }
  return { found: true, table: entry.table, columns };
}

const TIME_TYPE = /^(timestamp|date)/;

export interface AuditShape {
  columns: Map<string, string>;
  /** The target column exists (account deletions can be read). */
  hasTarget: boolean;
}

/** The append-only audit log: id, an action and a time column of a time type. */
export async function detectAudit(client: ClientBase, profile: SchemaProfile): Promise<Detected<AuditShape>> {
  const { audit } = profile;
  const found = await detectTable(client, audit, [audit.id, audit.action, audit.createdAt]);
  if (!found.found) return found;
  const timeType = found.columns.get(audit.createdAt) ?? '';
  if (!TIME_TYPE.test(timeType)) {
    const column = `${tableLabel(found.table)}.${audit.createdAt}`;
    return { found: false, why: `${column} is ${timeType}, not a time: shaped otherwise than the profile's audit log` };
  }
  return { ...found, hasTarget: found.columns.has(audit.target) };
}

/** The applied-migrations table with its version column (a name column is optional). */
export async function detectMigrations(
  client: ClientBase,
  profile: SchemaProfile,
): Promise<Detected<{ hasName: boolean; versionType: string }>> {
  const { migrations } = profile;
  const found = await detectTable(client, migrations, [migrations.version]);
  if (!found.found) return found;
  const versionType = found.columns.get(migrations.version) ?? '';
  return { found: true, table: found.table, hasName: found.columns.has(migrations.name), versionType };
}

/** A plain table of the profile (sessions, users, signing keys) with the columns named. */
export function detectPlain(
  client: ClientBase,
  entry: ProfileTable,
  required: readonly string[] = [],
): Promise<WithColumns> {
  return detectTable(client, entry, required);
}
