/**
 * What a rollback needs to know about migrations: which ones the database has applied (schema_migrations, with
 * their times), which ones the operator names (`5,6`, `none`), and whether each is `additive` (version N-1 keeps
 * working after it) or `breaking`, from MIGRATION_COMPATIBILITY_FILE (a JSON object `{"5": "additive"}`), else
 * asked (headless: answered in --answers as `migration-<version>: additive|breaking`, or exit 3).
 */
import { readFile } from 'node:fs/promises';
import type { ClientBase } from 'pg';
import { StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { qualifiedName, quoteIdent } from '../pg/ident.js';
import { resolveProfile, type SchemaProfile } from '../profile/config.js';
import { columnsOf, detectMigrations } from '../profile/detect.js';

export type Compatibility = 'additive' | 'breaking';

export interface AppliedMigration {
  version: number;
  name: string | null;
  appliedAt: string | null;
}

export interface RollbackMigration extends AppliedMigration {
  compatibility: Compatibility;
  /** Where the compatibility came from. */
  compatibilityFrom: 'file' | 'operator';
}

/**
 * The migrations recorded in the database, oldest first, through the schema profile (PROFILE_MIGRATIONS_TABLE
 * and its version column; a Rails-style varchar version of digits counts as a number); empty when the database
 * has no such table or one shaped otherwise.
 */
export async function readAppliedMigrations(
  client: ClientBase,
  profile: SchemaProfile = resolveProfile(),
): Promise<AppliedMigration[]> {
  const found = await detectMigrations(client, profile);
  if (!found.found) return [];
  const columns = await columnsOf(client, found.table);
  const name = found.hasName ? `${quoteIdent(profile.migrations.name)}::text` : 'NULL';
  const appliedAt = columns.has('applied_at') ? 'applied_at' : 'NULL';
  const version = `${quoteIdent(profile.migrations.version)}::text`;
  const columnsSql = `${version} AS version, ${name} AS name, ${appliedAt} AS applied_at`;
  const select = `SELECT ${columnsSql} FROM ${qualifiedName(found.table)}`;
  const rows = (await client.query<{ version: unknown; name: unknown; applied_at: unknown }>(select)).rows;
  return rows
    .map((r) => ({
      version: Number(r.version),
      name: r.name === null || r.name === undefined ? null : String(r.name),
      appliedAt: r.applied_at instanceof Date ? r.applied_at.toISOString() : r.applied_at ? String(r.applied_at) : null,
    }))
    .filter((m) => Number.isSafeInteger(m.version))
    .sort((a, b) => a.version - b.version);
}

/** `5,6` or `5 6` → [5, 6]; `none` → []; empty → undefined (work it out from the database). */
export function parseMigrationList(text: string | undefined): number[] | undefined {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return undefined;
  if (/^none$/i.test(trimmed)) return [];
  const parts = trimmed.split(/[\s,]+/).filter(Boolean);
  const versions = parts.map((p) => Number(p));
  const bad = parts.find((p, i) => !/^\d+$/.test(p) || !Number.isSafeInteger(versions[i]));
  if (bad !== undefined)
    throw new UsageError(
      `"${bad}" is not a migration version`,
      'give the versions applied since the pre-deploy backup as numbers, e.g. `migrations: 41,42`, or `none`',
    );
  return [...new Set(versions)].sort((a, b) => a - b);
}

/** MIGRATION_COMPATIBILITY_FILE: `{ "<version>": "additive" | "breaking" }` (also `compatible` / `incompatible`). */
export async function readCompatibilityFile(path: string | undefined): Promise<Map<number, Compatibility>> {
  const map = new Map<number, Compatibility>();
  if (!path) return map;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `MIGRATION_COMPATIBILITY_FILE ${path} cannot be read: ${(error as Error).message}`,
      'it is a JSON object of migration version → "additive" or "breaking"',
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(
      `MIGRATION_COMPATIBILITY_FILE ${path} is not a JSON object`,
      'write it as {"41": "additive", "42": "breaking"}',
    );
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const tag = String(value).toLowerCase();
    const compatibility: Compatibility | undefined =
      tag === 'additive' || tag === 'compatible'
        ? 'additive'
        : tag === 'breaking' || tag === 'incompatible'
          ? 'breaking'
          : undefined;
    if (!/^\d+$/.test(key) || !compatibility)
      throw new UsageError(
        `MIGRATION_COMPATIBILITY_FILE ${path}: "${key}": "${String(value)}" is not understood`,
        'each entry is a migration version and "additive" or "breaking"',
      );
    map.set(Number(key), compatibility);
  }
  return map;
}

/** The compatibility of each migration: from the file, else asked (never guessed: an unknown one is not assumed
 * additive). */
export async function classifyMigrations(
  ctx: ActionContext,
  migrations: AppliedMigration[],
  known: Map<number, Compatibility>,
): Promise<RollbackMigration[]> {
  const out: RollbackMigration[] = [];
  for (const migration of migrations) {
    const fromFile = known.get(migration.version);
    if (fromFile) {
      out.push({ ...migration, compatibility: fromFile, compatibilityFrom: 'file' });
      continue;
    }
    const answer = await ctx.interactor.choose(
      {
        kind: 'choice',
        name: `migration-${migration.version}`,
        message:
          `Migration ${migration.version}${migration.name ? ` (${migration.name})` : ''}: does the ` +
          `previous image keep working after it? (additive: only adds; breaking: renames, drops or ` +
          `changes what N-1 reads)`,
        options: [
          { value: 'breaking', label: 'breaking: the previous image cannot run on it (restore the pre-deploy dump)' },
          { value: 'additive', label: 'additive: the previous image ignores it (redeploy only)' },
        ],
      },
      ctx.signal,
    );
    if (answer !== 'additive' && answer !== 'breaking')
      throw new StepFailedError(`"${answer}" is not a compatibility`, 'answer additive or breaking');
    out.push({ ...migration, compatibility: answer, compatibilityFrom: 'operator' });
  }
  return out;
}
