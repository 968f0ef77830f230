import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepFailedError, UsageError } from '../../src/core/errors.js';
import { appliedMigrations, currentSchemaVersion, migrate } from '../../src/sandbox/schema/migrate.js';
import {
  BASE_SCHEMA_VERSION,
  MIGRATIONS,
  MIGRATION_COMPATIBILITY,
  SCENARIO_MIGRATIONS,
} from '../../src/sandbox/schema/migrations.js';
import { connectFresh } from './db.js';

async function columnsOf(client: Awaited<ReturnType<typeof connectFresh>>, table: string): Promise<string[]> {
  const result = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return result.rows.map((r) => r.column_name);
}

describe('forward-only migrations', () => {
  it('apply in order, each recorded, and a re-run applies nothing', async () => {
    const client = await connectFresh('mig_order');
    assert.equal(await currentSchemaVersion(client), 0);
    assert.deepEqual(await migrate(client), [1, 2, 3, 4]);
    const applied = await appliedMigrations(client);
    assert.deepEqual(
      applied.map((m) => [m.version, m.name]),
      MIGRATIONS.filter((m) => !m.optional).map((m) => [m.version, m.name]),
    );
    assert.ok(applied.every((m) => m.appliedAt instanceof Date));
    assert.deepEqual(await migrate(client), []);
    assert.equal(await currentSchemaVersion(client), BASE_SCHEMA_VERSION);
  });

  it('stop at upTo and continue later', async () => {
    const client = await connectFresh('mig_upto');
    assert.deepEqual(await migrate(client, { upTo: 2 }), [1, 2]);
    assert.deepEqual(await columnsOf(client, 'webhooks'), []);
    assert.deepEqual(await migrate(client), [3, 4]);
  });

  it('apply the practice migrations only when asked, and refuse to go back in order', async () => {
    const client = await connectFresh('mig_scenario');
    await migrate(client);
    assert.ok((await columnsOf(client, 'users')).includes('display_name'));
    assert.deepEqual(await migrate(client, { include: [SCENARIO_MIGRATIONS.badMigration] }), [6]);
    const columns = await columnsOf(client, 'users');
    assert.ok(columns.includes('full_name') && !columns.includes('display_name'));
    await assert.rejects(migrate(client, { include: [SCENARIO_MIGRATIONS.compatible] }), UsageError);
    await assert.rejects(migrate(client, { include: [99] }), UsageError);
  });

  it('the additive practice migration adds a nullable column', async () => {
    const client = await connectFresh('mig_additive');
    assert.deepEqual(await migrate(client, { include: [SCENARIO_MIGRATIONS.compatible] }), [1, 2, 3, 4, 5]);
    assert.ok((await columnsOf(client, 'users')).includes('phone_number'));
  });

  it('roll a failing migration back whole and record nothing for it', async () => {
    const client = await connectFresh('mig_fail');
    await client.query('CREATE TABLE webhooks (x int)'); // migration 3 will collide with it
    await assert.rejects(
      migrate(client),
      (e: unknown) => e instanceof StepFailedError && /migration 3/.test(e.message),
    );
    assert.deepEqual(
      (await appliedMigrations(client)).map((m) => m.version),
      [1, 2],
    );
    assert.deepEqual(await columnsOf(client, 'sessions'), [], 'sessions was created in the failed migration');
  });

  it('tag every migration with its compatibility', () => {
    assert.equal(MIGRATION_COMPATIBILITY[SCENARIO_MIGRATIONS.badMigration], 'breaking');
    assert.equal(MIGRATION_COMPATIBILITY[SCENARIO_MIGRATIONS.compatible], 'additive');
    for (const m of MIGRATIONS) assert.ok(m.compatibility === 'additive' || m.compatibility === 'breaking');
  });
});

/** The schema is a contract with the sandbox auth-service: table, column and type names exactly. */
const EXPECTED_SCHEMA: Record<string, string[]> = {
  tenants: ['id uuid', 'slug text', 'name text', 'created_at timestamp with time zone'],
  users: [
    'id uuid',
    'tenant_id uuid',
    'email text',
    'given_name text',
    'family_name text',
    'display_name text',
    'job_title text',
    'department text',
    'locale text',
    'status text',
    'created_at timestamp with time zone',
    'updated_at timestamp with time zone',
  ],
  password_credentials: ['user_id uuid', 'hash text', 'updated_at timestamp with time zone'],
  mfa_totp: ['user_id uuid', 'secret_enc text', 'confirmed_at timestamp with time zone', 'last_used_step bigint'],
  oidc_signing_keys: [
    'kid text',
    'alg text',
    'public_jwk jsonb',
    'private_key_enc text',
    'status text',
    'created_at timestamp with time zone',
    'retired_at timestamp with time zone',
  ],
  webhooks: [
    'id uuid',
    'tenant_id uuid',
    'url text',
    'secret_enc text',
    'events ARRAY',
    'created_at timestamp with time zone',
  ],
  sessions: [
    'id uuid',
    'user_id uuid',
    'token_sha256 text',
    'ip text',
    'user_agent text',
    'created_at timestamp with time zone',
    'expires_at timestamp with time zone',
  ],
  audit_log: [
    'id bigint',
    'tenant_id uuid',
    'action text',
    'target text',
    'actor_user_id uuid',
    'actor_email text',
    'ip text',
    'user_agent text',
    'created_at timestamp with time zone',
    'metadata jsonb',
  ],
  schema_migrations: ['version integer', 'name text', 'applied_at timestamp with time zone'],
};

describe('the schema', () => {
  it('has exactly the tables, columns and types of the contract', async () => {
    const client = await connectFresh('schema_exact');
    await migrate(client);
    const result = await client.query<{ table_name: string; column: string }>(
      `SELECT table_name, column_name || ' ' || data_type AS column FROM information_schema.columns
       WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    );
    const actual: Record<string, string[]> = {};
    for (const row of result.rows) (actual[row.table_name] ??= []).push(row.column);
    assert.deepEqual(actual, EXPECTED_SCHEMA);
  });

  it('keeps the audit log append-only: UPDATE, DELETE and TRUNCATE are rejected', async () => {
    const client = await connectFresh('audit_trigger');
    await migrate(client);
    await client.query(`INSERT INTO audit_log (action, target) VALUES ('auth.login.succeeded', 'user:x')`);
    const appendOnly = (e: unknown) =>
      e instanceof Error && /audit_log is append-only: (UPDATE|DELETE|TRUNCATE)/.test(e.message);
    await assert.rejects(client.query(`UPDATE audit_log SET action = 'tampered'`), appendOnly);
    await assert.rejects(client.query('DELETE FROM audit_log'), appendOnly);
    await assert.rejects(client.query('TRUNCATE audit_log'), appendOnly);
    const rows = await client.query<{ action: string }>('SELECT action FROM audit_log');
    assert.deepEqual(rows.rows, [{ action: 'auth.login.succeeded' }]);
    await client.query(`INSERT INTO audit_log (action) VALUES ('user.created')`);
  });

  it('checks signing-key status and cascades deletes from tenants', async () => {
    const client = await connectFresh('schema_rules');
    await migrate(client);
    await assert.rejects(
      client.query(
        `INSERT INTO oidc_signing_keys (kid, public_jwk, private_key_enc, status) VALUES ('k', '{}', 'x', 'revoked')`,
      ),
      /check constraint/,
    );
    const tenant = await client.query<{ id: string }>(
      `INSERT INTO tenants (slug, name) VALUES ('t', 'T') RETURNING id`,
    );
    const tenantId = tenant.rows[0]?.id;
    const user = await client.query<{ id: string; locale: string; status: string }>(
      `INSERT INTO users (tenant_id, email) VALUES ($1, 'a@t.example') RETURNING id, locale, status`,
      [tenantId],
    );
    assert.equal(user.rows[0]?.locale, 'en');
    assert.equal(user.rows[0]?.status, 'active');
    await assert.rejects(
      client.query(`INSERT INTO users (tenant_id, email) VALUES ($1, 'a@t.example')`, [tenantId]),
      /unique/,
    );
    await client.query('DELETE FROM tenants');
    assert.equal((await client.query('SELECT 1 FROM users')).rowCount, 0);
  });
});
