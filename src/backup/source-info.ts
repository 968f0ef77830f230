/**
 * What a backup needs to know about its source database, read with plain catalog queries: the server's version
 * and system identifier, the database's size, encoding and collation, the size of every table (for the ETA),
 * whether WAL is archived, the schema migration version and exact row counts.
 */
import type { ClientBase } from 'pg';
import { qualifiedName, tableKey } from '../pg/ident.js';
import { resolveProfile, type SchemaProfile } from '../profile/config.js';
import { readNewestMigration } from '../profile/migrations.js';
import type { DatabaseProperties } from '../restore/db-properties-schema.js';
import { readDatabaseProperties } from '../restore/db-properties.js';

export interface SourceInfo {
  /** host:port/database (no user, no password). */
  target: string;
  database: string;
  serverVersion: string;
  serverVersionNum: number;
  serverMajor: number;
  systemIdentifier: string;
  encoding: string;
  collate: string;
  ctype: string;
  /** Owner, locale provider, comment, settings and grants: what `pg_restore` into an existing database loses. */
  properties?: DatabaseProperties;
  /** The roles that own the database's schemas, tables, functions and types (a restore's plan needs them). */
  objectOwners?: string[];
}

export interface SourceSizes {
  databaseBytes: number;
  /** `schema.table` → bytes (heap and TOAST, without indexes: what a dump reads). */
  relationBytes: Record<string, number>;
}

export interface WalArchiving {
  archiveMode: string;
  walLevel: string;
  /** True when the server archives WAL (point-in-time recovery is possible). */
  enabled: boolean;
}

export interface SchemaMigration {
  version: string | null;
  name: string | null;
}

export interface UserTable {
  schema: string;
  name: string;
}

/**
 * The key of a table in row counts: its table key (pg/ident.ts), bare for a plain public name as manifests have
 * always had it, each part quoted when it needs to be, so that `public."a.b"` and `a.b` never collide.
 */
export function rowCountKey(table: UserTable): string {
  return tableKey(table);
}

/**
 * The server's system identifier; a managed service that hides `pg_control_system()` gets a stand-in derived
 * from the target (stable for the lock and for "latest of the same source", but not across a host rename).
 */
async function readSystemIdentifier(client: ClientBase, targetLabel: string): Promise<string> {
  try {
    const row = (
      await client.query<{ sysid: string }>('SELECT system_identifier::text AS sysid FROM pg_control_system()')
    ).rows[0];
    if (row?.sysid) return row.sysid;
  } catch {
    // permission denied: fall through (call this outside a transaction, where a failed query harms nothing)
  }
  return `unknown-${targetLabel.replace(/\/.*$/, '').replace(/[^A-Za-z0-9.-]/g, '_')}`;
}

export async function readSourceInfo(client: ClientBase, targetLabel: string): Promise<SourceInfo> {
  const row = (
    await client.query<{ version: string; num: string; db: string; encoding: string; collate: string; ctype: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
              d.datname AS db, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype
         FROM pg_database d WHERE d.datname = current_database()`,
    )
  ).rows[0];
  if (!row) throw new Error('the current database is missing from pg_database');
  const num = Number(row.num);
  return {
    target: targetLabel,
    database: row.db,
    serverVersion: row.version,
    serverVersionNum: num,
    serverMajor: Math.floor(num / 10_000),
    systemIdentifier: await readSystemIdentifier(client, targetLabel),
    encoding: row.encoding,
    collate: row.collate,
    ctype: row.ctype,
    ...(await readOwnProperties(client, row.db)),
  };
}

/** The database's own properties; a role that may not read them leaves them out (the restore then says so). */
async function readOwnProperties(
  client: ClientBase,
  database: string,
): Promise<{ properties?: DatabaseProperties; objectOwners?: string[] }> {
  try {
    const properties = await readDatabaseProperties(client, database);
    const owners = await client.query<{ owner: string }>(OBJECT_OWNERS);
    return { ...(properties ? { properties } : {}), objectOwners: owners.rows.map((r) => r.owner) };
  } catch {
    return {};
  }
}

const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
const OBJECT_OWNERS = `
  SELECT DISTINCT pg_get_userbyid(o.owner) AS owner FROM (
    SELECT n.nspowner AS owner FROM pg_namespace n WHERE ${USER_SCHEMA}
    UNION SELECT c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_SCHEMA}
    UNION SELECT p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMA}
    UNION SELECT t.typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${USER_SCHEMA}
  ) o ORDER BY 1`;

const USER_TABLES = `
  SELECT n.nspname AS schema, c.relname AS name, pg_table_size(c.oid)::bigint AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'm')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
   ORDER BY n.nspname, c.relname`;

export async function readSourceSizes(client: ClientBase): Promise<SourceSizes> {
  const size = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
  const tables = await client.query<{ schema: string; name: string; bytes: string }>(USER_TABLES);
  const relationBytes: Record<string, number> = {};
  // Keyed as pg_dump's progress lines name the tables.
  for (const t of tables.rows) relationBytes[`${t.schema}.${t.name}`] = Number(t.bytes);
  return { databaseBytes: Number(size.rows[0]?.bytes ?? 0), relationBytes };
}

export async function readWalArchiving(client: ClientBase): Promise<WalArchiving> {
  const row = (
    await client.query<{ mode: string; level: string }>(
      `SELECT current_setting('archive_mode') AS mode, current_setting('wal_level') AS level`,
    )
  ).rows[0];
  const archiveMode = row?.mode ?? 'off';
  return { archiveMode, walLevel: row?.level ?? 'unknown', enabled: archiveMode !== 'off' };
}

/**
 * The newest applied migration through the schema profile (PROFILE_MIGRATIONS_TABLE, a numeric order for a
 * Rails-style varchar version), or nulls when the database has no such table or one shaped otherwise.
 */
export async function readSchemaMigration(
  client: ClientBase,
  profile: SchemaProfile = resolveProfile(),
): Promise<SchemaMigration> {
  const newest = await readNewestMigration(client, profile);
  return newest.checked ? { version: newest.version, name: newest.name } : { version: null, name: null };
}

/** Ordinary and partitioned-leaf tables outside the system schemas (what pg_dump dumps the contents of). */
export async function listUserTables(client: ClientBase): Promise<UserTable[]> {
  const result = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
      ORDER BY n.nspname, c.relname`,
  );
  return result.rows;
}

/**
 * Exact row counts: one `count(*)` per table, which reads every table in full (as the dump does). Run it in the
 * dump's snapshot so that the counts are those of the dump, not of a moment later.
 */
export async function countRows(
  client: ClientBase,
  tables: readonly UserTable[],
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    if (signal?.aborted) break;
    const result = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualifiedName(table)}`);
    counts[rowCountKey(table)] = Number(result.rows[0]?.n ?? 0);
  }
  return counts;
}
