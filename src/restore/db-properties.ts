/**
 * A database's own properties, which a dump without --create does not carry and which stay with the old
 * database's OID when it is renamed: owner, encoding and locale, connection limit, comment, `ALTER DATABASE …
 * SET` and `ALTER ROLE … IN DATABASE … SET` settings, and the database's grants. Read from the database being
 * replaced and applied to the restored one before the swap (pg_dumpall's way of quoting list settings).
 */
import type pg from 'pg';
import type { DatabaseProperties } from './db-properties-schema.js';
import { quoteIdent, quoteLiteral } from '../pg/ident.js';

export type { DatabaseProperties };

/** Settings whose value is a list of quoted items (pg_dump's GUC_LIST_QUOTE variables). */
const LIST_SETTINGS = new Set([
  'search_path',
  'temp_tablespaces',
  'session_preload_libraries',
  'local_preload_libraries',
  'shared_preload_libraries',
]);

async function readGrants(client: pg.ClientBase, name: string) {
  const { rows } = await client.query<{ grantee: string | null; privilege: string; grantable: boolean }>(
    `SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee,
            a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1`,
    [name],
  );
  return rows;
}

export async function readDatabaseProperties(
  client: pg.ClientBase,
  name: string,
): Promise<DatabaseProperties | undefined> {
  const version = Number(
    (await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]?.v ?? 0,
  );
  const localeColumns =
    version >= 170000
      ? ', d.datlocprovider::text AS provider, d.datlocale AS provider_locale'
      : version >= 150000
        ? ', d.datlocprovider::text AS provider, d.daticulocale AS provider_locale'
        : '';
  const row = (
    await client.query<{
      owner: string;
      encoding: string;
      collate: string;
      ctype: string;
      connlimit: number;
      comment: string | null;
      default_acl: boolean;
      provider?: string;
      provider_locale?: string | null;
    }>(
      `SELECT pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate,
              d.datctype AS ctype, d.datconnlimit AS connlimit, shobj_description(d.oid, 'pg_database') AS comment,
              d.datacl IS NULL AS default_acl${localeColumns}
         FROM pg_database d WHERE d.datname = $1`,
      [name],
    )
  ).rows[0];
  if (!row) return undefined;
  const settings = await client.query<{ role: string | null; config: string[] }>(
    `SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, s.setconfig AS config
       FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1`,
    [name],
  );
  const grants = row.default_acl ? null : await readGrants(client, name);
  return {
    name,
    owner: row.owner,
    encoding: row.encoding,
    collate: row.collate,
    ctype: row.ctype,
    localeProvider: row.provider ?? null,
    providerLocale: row.provider_locale ?? null,
    connLimit: row.connlimit,
    comment: row.comment,
    settings: settings.rows.filter((r) => r.role === null).flatMap((r) => r.config),
    roleSettings: settings.rows
      .filter((r) => r.role !== null)
      .map((r) => ({ role: r.role as string, settings: r.config })),
    grants,
  };
}

export interface NewDatabaseSpec {
  owner?: string | undefined;
  encoding?: string | undefined;
  collate?: string | undefined;
  ctype?: string | undefined;
  localeProvider?: string | null | undefined;
  providerLocale?: string | null | undefined;
}

export function createDatabaseSql(name: string, spec: NewDatabaseSpec): string {
  const parts = [`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`];
  if (spec.encoding) parts.push(`ENCODING ${quoteLiteral(spec.encoding)}`);
  if (spec.collate) parts.push(`LC_COLLATE ${quoteLiteral(spec.collate)}`);
  if (spec.ctype) parts.push(`LC_CTYPE ${quoteLiteral(spec.ctype)}`);
  if (spec.localeProvider === 'i') {
    parts.push('LOCALE_PROVIDER icu');
    if (spec.providerLocale) parts.push(`ICU_LOCALE ${quoteLiteral(spec.providerLocale)}`);
  } else if (spec.localeProvider === 'b') {
    parts.push('LOCALE_PROVIDER builtin');
    if (spec.providerLocale) parts.push(`BUILTIN_LOCALE ${quoteLiteral(spec.providerLocale)}`);
  } else if (spec.localeProvider === 'c') {
    parts.push('LOCALE_PROVIDER libc');
  }
  if (spec.owner) parts.push(`OWNER ${quoteIdent(spec.owner)}`);
  return parts.join(' ');
}

/** Splits a stored list value (`"$user", public`) into its items, unquoted. */
export function splitListSetting(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '"') {
      if (quoted && value[i + 1] === '"') {
        current += '"';
        i += 1;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      items.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim() !== '' || items.length > 0) items.push(current.trim());
  return items;
}

/** `SET name = value` text for one stored `name=value` entry. */
export function setClause(entry: string): string {
  const at = entry.indexOf('=');
  const name = at < 0 ? entry : entry.slice(0, at);
  const value = at < 0 ? '' : entry.slice(at + 1);
  const quotedName = name.split('.').map(quoteIdent).join('.');
  const quotedValue = LIST_SETTINGS.has(name.toLowerCase())
    ? splitListSetting(value).map(quoteLiteral).join(', ')
    : quoteLiteral(value);
  return `SET ${quotedName} = ${quotedValue}`;
}

/** The statements that give database `name` the properties read from the database it replaces. */
export function reapplyStatements(name: string, props: DatabaseProperties): string[] {
  const db = quoteIdent(name);
  const statements: string[] = [];
  if (props.connLimit !== -1) statements.push(`ALTER DATABASE ${db} CONNECTION LIMIT ${props.connLimit}`);
  for (const entry of props.settings) statements.push(`ALTER DATABASE ${db} ${setClause(entry)}`);
  for (const { role, settings } of props.roleSettings)
    for (const entry of settings)
      statements.push(`ALTER ROLE ${quoteIdent(role)} IN DATABASE ${db} ${setClause(entry)}`);
  if (props.grants) {
    statements.push(
      `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
      `REVOKE ALL ON DATABASE ${db} FROM ${quoteIdent(props.owner)}`,
    );
    for (const g of props.grants) {
      statements.push(
        `GRANT ${g.privilege} ON DATABASE ${db} ` +
          `TO ${g.grantee === null ? 'PUBLIC' : quoteIdent(g.grantee)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
      );
    }
  }
  if (props.comment !== null) statements.push(`COMMENT ON DATABASE ${db} IS ${quoteLiteral(props.comment)}`);
  return statements;
}

/** What CREATE DATABASE can give a new database of the properties (the rest is applied after, as statements). */
export function specOf(props: DatabaseProperties, owner: string | undefined = props.owner): NewDatabaseSpec {
  const { encoding, collate, ctype, localeProvider, providerLocale } = props;
  return { owner, encoding, collate, ctype, localeProvider, providerLocale };
}

export function ownerStatement(name: string, owner: string): string {
  return `ALTER DATABASE ${quoteIdent(name)} OWNER TO ${quoteIdent(owner)}`;
}

/** The text of a statement as a command an operator can paste (psql on a maintenance database). */
export function byHand(statement: string): string {
  return `psql -d postgres -c ${`'${statement.replaceAll("'", "'\\''")}'`}`;
}

/** Why a statement of the properties could not be applied, and what to run once the cause is fixed. */
export function propertyWarning(statement: string, error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    code === '42704'
      ? `${message} on this server (create it first: CREATE ROLE …)`
      : code === '42501'
        ? `${message} (this role may not: run it as a superuser)`
        : message;
  return `not applied: ${statement}: ${cause}; then run: ${byHand(statement)}`;
}

/**
 * Runs each statement on its own: one that fails (a role missing on the target, a privilege this role lacks) is a
 * warning naming the statement, never a failure. Returns the warnings.
 */
export async function applyStatements(
  admin: pg.ClientBase,
  statements: readonly string[],
): Promise<{ applied: number; warnings: string[] }> {
  const warnings: string[] = [];
  let applied = 0;
  for (const statement of statements) {
    try {
      await admin.query(statement);
      applied += 1;
    } catch (error) {
      warnings.push(propertyWarning(statement, error));
    }
  }
  return { applied, warnings };
}

/** The roles of `names` that exist on the server. */
export async function existingRoles(client: pg.ClientBase, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const sql = 'SELECT rolname FROM pg_roles WHERE rolname = ANY($1)';
  const rows = await client.query<{ rolname: string }>(sql, [[...names]]);
  return new Set(rows.rows.map((r) => r.rolname));
}

/** One line describing the properties (for the log). */
export function describeProperties(p: DatabaseProperties): string {
  const names: Record<string, string> = { i: 'ICU', b: 'builtin' };
  const provider =
    `${names[p.localeProvider ?? ''] ?? 'libc'} ${p.localeProvider === 'c' ? '' : (p.providerLocale ?? '')}`.trim();
  const parts = [`owner ${p.owner}`, `${p.encoding}`, `collate ${p.collate}`, `ctype ${p.ctype}`, provider];
  if (p.comment !== null) parts.push('a comment');
  if (p.settings.length) parts.push(`${p.settings.length} setting(s)`);
  if (p.roleSettings.length) parts.push(`${p.roleSettings.length} role setting(s)`);
  if (p.grants) parts.push(`${p.grants.length} grant(s)`);
  if (p.connLimit !== -1) parts.push(`connection limit ${p.connLimit}`);
  return parts.join(', ');
}
