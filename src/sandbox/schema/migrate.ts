/**
 * Forward-only migration runner: applies pending migrations in version order, each in its own transaction
 * with its row in `schema_migrations`, under an advisory lock so that two runners never interleave.
 */
import type { ClientBase } from 'pg';
import { StepFailedError, UsageError } from '../../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export interface MigrateOptions {
  /** Apply nothing above this version. */
  upTo?: number;
  /** Optional (practice-scenario) migrations to apply too, by version. */
  include?: readonly number[];
}

export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: Date;
}

// An arbitrary constant identifying "obexal sandbox migrations" among advisory locks.
const MIGRATION_LOCK_KEY = 7_305_401_001;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version int PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export async function appliedMigrations(client: ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query<{ present: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS present`,
  );
  if (!exists.rows[0]?.present) return [];
  const result = await client.query<{ version: number; name: string; applied_at: Date }>(
    'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
  );
  return result.rows.map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at }));
}

/** The highest applied version, or 0 for a database without migrations. */
export async function currentSchemaVersion(client: ClientBase): Promise<number> {
  const applied = await appliedMigrations(client);
  return applied.reduce((max, m) => Math.max(max, m.version), 0);
}

function selectMigrations(options: MigrateOptions): Migration[] {
  const include = new Set(options.include ?? []);
  for (const version of include) {
    if (!MIGRATIONS.some((m) => m.version === version)) {
      throw new UsageError(
        `unknown migration version ${version}`,
        `known versions: ${MIGRATIONS.map((m) => m.version).join(', ')}`,
      );
    }
  }
  return MIGRATIONS.filter((m) => !m.optional || include.has(m.version))
    .filter((m) => options.upTo === undefined || m.version <= options.upTo)
    .sort((a, b) => a.version - b.version);
}

/** Applies the pending migrations and returns the versions it applied (empty when up to date). */
export async function migrate(client: ClientBase, options: MigrateOptions = {}): Promise<number[]> {
  const wanted = selectMigrations(options);
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(CREATE_MIGRATIONS_TABLE);
    const appliedVersions = new Set((await appliedMigrations(client)).map((m) => m.version));
    const highestApplied = Math.max(0, ...appliedVersions);
    const pending = wanted.filter((m) => !appliedVersions.has(m.version));
    const outOfOrder = pending.find((m) => m.version < highestApplied);
    if (outOfOrder) {
      throw new UsageError(
        `migration ${outOfOrder.version} (${outOfOrder.name}) is older than the applied version ${highestApplied}`,
        'migrations are forward-only: a skipped migration cannot be applied after a newer one; ' +
          'restore the pre-deploy dump instead',
      );
    }
    const applied: number[] = [];
    for (const migration of pending) {
      await applyOne(client, migration);
      applied.push(migration.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

async function applyOne(client: ClientBase, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
      migration.version,
      migration.name,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new StepFailedError(
      `migration ${migration.version} (${migration.name}) failed and was rolled back: ${reason}`,
      'the database is left at the previous version; fix the cause and run the migrations again',
      error,
    );
  }
}
