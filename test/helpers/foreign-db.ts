/**
 * Databases not shaped like Obexal's, built at test time (issue 11, "Done when" 2): partitions, enums and
 * domains, triggers, large objects, row-level security, dotted and quoted unicode names, a second schema, a
 * Rails-style `schema_migrations(version varchar)`, an application's own `audit_log` of another shape, and,
 * on request, a non-superuser owner, an ICU or WIN1252 database, a comment, settings and grants. With the
 * comparisons a round trip needs: the schema dump (without pg_dump's `\restrict` lines) and a content hash per
 * table and of the large objects.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type pg from 'pg';
import type { Cluster } from '../../src/pg/cluster.js';
import { qualifiedName, quoteIdent, quoteLiteral, tableLabel } from '../../src/pg/ident.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { withDatabaseUrl } from './pg.js';

const run = promisify(execFile);

export interface ForeignDatabaseOptions {
  /** Prefix of the database name (a random suffix is added). */
  prefix?: string;
  /** A non-superuser role (created with LOGIN and this password when missing) that owns the database and its objects. */
  owner?: { role: string; password: string };
  /** An ICU database: `CREATE DATABASE … LOCALE_PROVIDER icu ICU_LOCALE '<locale>'`. */
  icuLocale?: string;
  /** A WIN1252 database (with the `C` locale, the one every server has). */
  win1252?: boolean;
  comment?: string;
  /** `ALTER DATABASE … SET name = value`. */
  settings?: Record<string, string>;
  /** `ALTER ROLE role IN DATABASE … SET name = value` (the role is created when missing). */
  roleSettings?: { role: string; name: string; value: string }[];
  /** `GRANT privilege ON DATABASE … TO role` (the role is created when missing). */
  grants?: { role: string; privilege: 'CONNECT' | 'CREATE' | 'TEMPORARY' }[];
  /** Rows in the larger tables (default 200). */
  rows?: number;
}

export interface ForeignDatabase {
  name: string;
  /** The superuser's URL of the database. */
  url: string;
  /** The owner's URL, when an owner was asked for. */
  ownerUrl?: string;
}

async function ensureRole(client: pg.ClientBase, role: string, password?: string): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rows.length === 0)
    await client.query(`CREATE ROLE ${quoteIdent(role)}${password ? ` LOGIN PASSWORD ${quoteLiteral(password)}` : ''}`);
}

function createDatabaseSql(name: string, options: ForeignDatabaseOptions): string {
  const parts = [`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`];
  if (options.win1252) parts.push(`ENCODING 'WIN1252' LC_COLLATE 'C' LC_CTYPE 'C'`);
  else parts.push(`ENCODING 'UTF8'`);
  if (options.icuLocale) parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${quoteLiteral(options.icuLocale)}`);
  if (options.owner) parts.push(`OWNER ${quoteIdent(options.owner.role)}`);
  return parts.join(' ');
}

/** Database-level properties, applied as the superuser. */
async function applyDatabaseProperties(
  client: pg.ClientBase,
  name: string,
  options: ForeignDatabaseOptions,
): Promise<void> {
  const db = quoteIdent(name);
  if (options.comment !== undefined)
    await client.query(`COMMENT ON DATABASE ${db} IS ${quoteLiteral(options.comment)}`);
  for (const [setting, value] of Object.entries(options.settings ?? {}))
    await client.query(`ALTER DATABASE ${db} SET ${quoteIdent(setting)} = ${quoteLiteral(value)}`);
  for (const r of options.roleSettings ?? []) {
    await ensureRole(client, r.role);
    await client.query(
      `ALTER ROLE ${quoteIdent(r.role)} IN DATABASE ${db} SET ${quoteIdent(r.name)} = ${quoteLiteral(r.value)}`,
    );
  }
  for (const g of options.grants ?? []) {
    await ensureRole(client, g.role);
    await client.query(`GRANT ${g.privilege} ON DATABASE ${db} TO ${quoteIdent(g.role)}`);
  }
}

/**
 * The content: in UTF-8 databases also unicode and quoted names (a WIN1252 database gets names that encoding
 * holds). Runs as the owner when there is one, so that every object belongs to the non-superuser.
 */
export function foreignContentSql(options: { rows?: number; unicode?: boolean } = {}): string {
  const rows = options.rows ?? 200;
  const unicodeTable = options.unicode === false ? '"Quoted ""Table"""' : '"Ünïcödé ""Täble"""';
  return `
CREATE SCHEMA "my.schema";
CREATE SCHEMA sales;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);

CREATE TABLE measurements (id bigint GENERATED ALWAYS AS IDENTITY, taken_on date NOT NULL, reading positive_int, feeling mood)
  PARTITION BY RANGE (taken_on);
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO measurements (taken_on, reading, feeling)
  SELECT date '2025-01-01' + (i % 700), 1 + i % 97, (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood FROM generate_series(1, ${rows}) i;

CREATE TABLE "odd.name" (id serial PRIMARY KEY, note text);
INSERT INTO "odd.name" (note) SELECT 'note ' || i FROM generate_series(1, 7) i;
CREATE TABLE "my.schema".t (id int PRIMARY KEY, "a ""quoted"" column" text);
INSERT INTO "my.schema".t SELECT i, 'v' || i FROM generate_series(1, 5) i;
CREATE TABLE "sales.orders" (id int PRIMARY KEY, total numeric(10, 2));
INSERT INTO "sales.orders" SELECT i, i * 1.5 FROM generate_series(1, 3) i;
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric(10, 2));
INSERT INTO sales.orders SELECT i, i * 2.25 FROM generate_series(1, 11) i;
CREATE TABLE ${unicodeTable} (id int PRIMARY KEY, label text);
INSERT INTO ${unicodeTable} VALUES (1, 'caf${options.unicode === false ? 'e' : 'é'}'), (2, 'x');

CREATE TABLE documents (id serial PRIMARY KEY, body text NOT NULL, updated_at timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z');
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER documents_touch BEFORE UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO documents (body) SELECT repeat('lorem ', i % 20) FROM generate_series(1, ${rows}) i;

CREATE TABLE attachments (id int PRIMARY KEY, content oid NOT NULL);
INSERT INTO attachments VALUES (1, lo_from_bytea(0, '\\x68656c6c6f'::bytea)), (2, lo_from_bytea(0, '\\x776f726c64'::bytea));

CREATE TABLE tenant_notes (tenant text NOT NULL, note text);
ALTER TABLE tenant_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_notes USING (tenant = current_user);
INSERT INTO tenant_notes VALUES ('alice', 'a'), ('bob', 'b');

CREATE TABLE schema_migrations (version character varying NOT NULL PRIMARY KEY);
INSERT INTO schema_migrations VALUES ('20240101000000'), ('9'), ('20260218183352'), ('20251231235959');
CREATE TABLE ar_internal_metadata (key character varying PRIMARY KEY, value character varying, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
INSERT INTO ar_internal_metadata VALUES ('environment', 'production', '2024-01-01', '2024-01-01');

-- An application's own audit_log, shaped otherwise than Obexal's: no action, no created_at, and UPDATE allowed.
CREATE TABLE audit_log (id bigserial PRIMARY KEY, event text NOT NULL, happened_at timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z', payload jsonb);
CREATE FUNCTION keep_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER audit_log_keep BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION keep_row();
INSERT INTO audit_log (event, payload) SELECT 'order.created', jsonb_build_object('n', i) FROM generate_series(1, 25) i;
`;
}

/** Builds a foreign database in `cluster` and returns where it is. */
export async function foreignDatabase(
  cluster: Cluster,
  options: ForeignDatabaseOptions = {},
): Promise<ForeignDatabase> {
  const name = `${(options.prefix ?? 'foreign')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40)}_${randomBytes(4).toString('hex')}`;
  await withDatabaseUrl(cluster.url('postgres'), async (client) => {
    if (options.owner) await ensureRole(client, options.owner.role, options.owner.password);
    await client.query(createDatabaseSql(name, options));
    await applyDatabaseProperties(client, name, options);
  });
  const url = cluster.url(name);
  await withDatabaseUrl(url, async (client) => {
    if (options.owner) {
      // PostgreSQL 15: only the database owner may create in public (it belongs to pg_database_owner).
      await client.query(`SET ROLE ${quoteIdent(options.owner.role)}`);
    }
    await client.query(
      foreignContentSql({ ...(options.rows !== undefined ? { rows: options.rows } : {}), unicode: !options.win1252 }),
    );
  });
  const result: ForeignDatabase = { name, url };
  if (options.owner) {
    const owner = new URL(url);
    owner.username = options.owner.role;
    owner.password = options.owner.password;
    result.ownerUrl = owner.toString();
  }
  return result;
}

/** `pg_dump --schema-only` without the `\restrict`/`\unrestrict` lines (random per run, MEASURED.md). */
export async function schemaDump(url: string): Promise<string> {
  const target = parseConnectionString(url);
  const { stdout } = await run('pg_dump', ['--schema-only', `--dbname=${target.database}`], {
    env: childEnvFor(target),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter((line) => !/^\\(un)?restrict\b/.test(line))
    .join('\n');
}

/**
 * md5 of every row of every table (ordered by the row's text), keyed by schema-qualified label, and of every
 * large object: equal means the same content. Reads as the superuser, so row-level security hides nothing.
 */
export async function contentHashes(url: string): Promise<Record<string, string>> {
  return withDatabaseUrl(url, async (client) => {
    const tables = await client.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        ORDER BY 1, 2`,
    );
    const sums: Record<string, string> = {};
    for (const table of tables.rows) {
      const row = await client.query<{ sum: string | null }>(
        `SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) AS sum FROM ${qualifiedName(table)} t`,
      );
      sums[tableLabel(table)] = row.rows[0]?.sum ?? 'empty';
    }
    const objects = await client.query<{ sum: string | null }>(
      `SELECT md5(string_agg(oid::text || ':' || encode(lo_get(oid), 'hex'), ',' ORDER BY oid)) AS sum FROM pg_largeobject_metadata`,
    );
    sums['(large objects)'] = objects.rows[0]?.sum ?? 'none';
    return sums;
  });
}

export interface DatabaseFacts {
  owner: string;
  encoding: string;
  collate: string;
  provider: string;
  icu: string | null;
  comment: string | null;
  settings: string[] | null;
  acl: string | null;
}

/** The database-level properties of `name` as the catalog holds them (asked through `url`, any database). */
export async function describeDatabase(url: string, name: string): Promise<DatabaseFacts> {
  return withDatabaseUrl(url, async (client) => {
    const row = (
      await client.query<DatabaseFacts>(
        `SELECT pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate,
                d.datlocprovider::text AS provider, d.daticulocale AS icu, shobj_description(d.oid, 'pg_database') AS comment,
                (SELECT array_agg(array_to_string(s.setconfig, ',') ORDER BY s.setrole) FROM pg_db_role_setting s
                  WHERE s.setdatabase = d.oid) AS settings,
                d.datacl::text AS acl
           FROM pg_database d WHERE d.datname = $1`,
        [name],
      )
    ).rows[0];
    if (!row) throw new Error(`database ${name} does not exist`);
    return row;
  });
}
