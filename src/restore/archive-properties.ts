/**
 * The database-level properties of a dump whose manifest is gone, read from the archive itself: `pg_dump -Fc`
 * keeps them in the entries that only `pg_restore --create` replays (DATABASE, DATABASE PROPERTIES, and the
 * COMMENT and ACL of the database). Those entries alone are turned into SQL by `pg_restore --create -L`; the
 * CREATE DATABASE options give the new database's encoding, locale and ICU locale, the rest are statements
 * applied after the swap with the database's new name.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseChildEnv, runProcess } from '../core/exec.js';
import type { NewDatabaseSpec } from './db-properties.js';
import { quoteIdent } from '../pg/ident.js';

export interface ArchiveProperties {
  /** The source database's name, as the statements spell it. */
  name: string;
  spec: NewDatabaseSpec;
  /** COMMENT, ALTER DATABASE … SET, ALTER ROLE … IN DATABASE … SET, GRANT and REVOKE on the database. */
  statements: string[];
}

const DATABASE_ENTRY = /^\d+;\s+\d+\s+\d+\s+(?:DATABASE PROPERTIES|DATABASE|COMMENT - DATABASE|ACL - DATABASE)\s/;

function option(sql: string, name: string): string | undefined {
  return new RegExp(`\\b${name} = '((?:[^']|'')*)'`).exec(sql)?.[1]?.replaceAll("''", "'");
}

export function parseDatabaseSql(sql: string): ArchiveProperties | undefined {
  // psql meta-commands (`\connect`, pg_dump 15.14's `\restrict`) and comments are lines of their own.
  const text = sql
    .split('\n')
    .filter((line) => !line.startsWith('\\') && !line.startsWith('--'))
    .join('\n');
  const statements = text
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const create = statements.find((s) => s.startsWith('CREATE DATABASE '));
  if (!create) return undefined;
  const name = /^CREATE DATABASE ((?:"(?:[^"]|"")+")|\S+)/.exec(create)?.[1] ?? '';
  const locale = option(create, 'LOCALE');
  const provider = /\bLOCALE_PROVIDER = (\w+)/.exec(create)?.[1];
  const owner = statements
    .map((s) => /^ALTER DATABASE \S+ OWNER TO ((?:"(?:[^"]|"")+")|\S+)$/.exec(s)?.[1])
    .find((o) => o !== undefined);
  const spec: NewDatabaseSpec = {
    encoding: option(create, 'ENCODING'),
    collate: option(create, 'LC_COLLATE') ?? locale,
    ctype: option(create, 'LC_CTYPE') ?? locale,
    localeProvider: provider === 'icu' ? 'i' : provider === 'builtin' ? 'b' : provider === 'libc' ? 'c' : null,
    providerLocale: option(create, 'ICU_LOCALE') ?? option(create, 'BUILTIN_LOCALE') ?? null,
    owner: owner?.startsWith('"') ? owner.slice(1, -1).replaceAll('""', '"') : owner,
  };
  const limit = /\bCONNECTION LIMIT = (-?\d+)/.exec(create)?.[1];
  const kept = statements.filter(
    (s) =>
      /^(COMMENT ON DATABASE|ALTER DATABASE \S+ (SET|CONNECTION LIMIT)|ALTER ROLE \S+ IN DATABASE|GRANT|REVOKE)\b/.test(
        s,
      ) && /\bON DATABASE\b|^ALTER (DATABASE|ROLE)/.test(s),
  );
  if (limit !== undefined && limit !== '-1') kept.unshift(`ALTER DATABASE ${name} CONNECTION LIMIT ${limit}`);
  return { name, spec, statements: kept };
}

/** The statements with the database's name replaced by `database` (quoted). */
export function renameIn(properties: ArchiveProperties, database: string): string[] {
  const escaped = properties.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`\\bDATABASE ${escaped}(?=[\\s;]|$)`, 'g');
  return properties.statements.map((s) => s.replace(pattern, `DATABASE ${quoteIdent(database)}`));
}

/** Reads the database entries of the archive at `file` (a plaintext custom-format archive). */
export async function readArchiveProperties(
  pgRestore: string,
  file: string,
  workDir: string,
  signal: AbortSignal,
): Promise<ArchiveProperties | undefined> {
  // The database's own entries are listed (and replayed) only with --create.
  const list = await runProcess({
    file: pgRestore,
    args: ['--list', '--create', file],
    env: baseChildEnv(),
    signal,
    captureStdout: true,
    label: 'pg_restore --list',
  });
  const entries = list.stdout.split('\n').filter((line) => DATABASE_ENTRY.test(line));
  if (!entries.some((line) => / DATABASE - /.test(line))) return undefined;
  const listFile = join(workDir, 'database-entries.list');
  await writeFile(listFile, `${entries.join('\n')}\n`, { mode: 0o600 });
  const sql = await runProcess({
    file: pgRestore,
    args: ['--create', '--use-list', listFile, '--file=-', file],
    env: baseChildEnv(),
    signal,
    captureStdout: true,
    label: 'pg_restore --create --use-list',
  });
  return parseDatabaseSql(sql.stdout);
}
