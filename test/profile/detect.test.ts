/**
 * The schema profile against real databases: a foreign one (test/helpers/foreign-db.ts) gives "not checked" with
 * the reason, never an error; a Rails-style version is ordered as a number; table keys that look alike count
 * their own tables; an Obexal-shaped audit log under another name is found through PROFILE_AUDIT_TABLE.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { readSchemaMigration, countRows, listUserTables } from '../../src/backup/source-info.js';
import { resolveProfile } from '../../src/profile/config.js';
import { readAppliedMigrations } from '../../src/rollback/migrations.js';
import { compareRowCounts } from '../../src/restore/checks.js';
import { checkAuditTrigger, checkMigration } from '../../src/restore/profile-checks.js';
import { foreignDatabase, type ForeignDatabase } from '../helpers/foreign-db.js';
import { freshDatabase, withCluster, withDatabaseUrl } from '../helpers/pg.js';

const clusterReady = withCluster();

describe('schema profile on a database not shaped like Obexal', () => {
  let foreign: ForeignDatabase;
  before(async () => {
    foreign = await foreignDatabase(await clusterReady, { prefix: 'profile_detect', rows: 20 });
  });

  it('reads a Rails-style varchar version as a number (20260218183352, not 9), without a name', async () => {
    const migration = await withDatabaseUrl(foreign.url, (client) => readSchemaMigration(client));
    assert.deepEqual(migration, { version: '20260218183352', name: null });
    const applied = await withDatabaseUrl(foreign.url, (client) => readAppliedMigrations(client));
    assert.deepEqual(
      applied.map((m) => m.version),
      [9, 20240101000000, 20251231235959, 20260218183352],
    );
  });

  it('counts every table under its own key: public."sales.orders" and sales.orders do not collide', async () => {
    const counts = await withDatabaseUrl(foreign.url, async (client) =>
      countRows(client, await listUserTables(client)),
    );
    assert.equal(counts['"sales.orders"'], 3);
    assert.equal(counts['sales.orders'], 11);
    assert.equal(counts['"odd.name"'], 7);
    assert.equal(counts['"my.schema".t'], 5);
    const outcome = await withDatabaseUrl(foreign.url, (client) => compareRowCounts(client, counts, 'exact'));
    assert.equal(outcome.ok, true, outcome.detail);
  });

  it('reads an old manifest key of a dotted public name through its other reading', async () => {
    const outcome = await withDatabaseUrl(foreign.url, (client) =>
      compareRowCounts(client, { 'odd.name': 7, users_missing: 1 }, 'exact'),
    );
    assert.equal(outcome.ok, false);
    assert.doesNotMatch(outcome.detail, /odd\.name/);
    assert.match(outcome.detail, /users_missing: no such table/);
  });

  it("says not checked for an application's own audit_log of another shape, and for a missing migrations table", async () => {
    const audit = await withDatabaseUrl(foreign.url, (client) => checkAuditTrigger(client, resolveProfile()));
    assert.equal(audit.status, 'not-checked');
    assert.match(audit.detail, /public\.audit_log has no column action, created_at/);
    const none = resolveProfile({ get: (name) => (name === 'PROFILE_MIGRATIONS_TABLE' ? 'app.nope' : undefined) });
    const migration = await withDatabaseUrl(foreign.url, (client) => checkMigration(client, none, '5'));
    assert.equal(migration.status, 'not-checked');
    assert.match(migration.detail, /there is no table app\.nope/);
  });

  it('advises, not fails, when an Obexal-shaped check finds a difference; not checked when the manifest recorded none', async () => {
    const differs = await withDatabaseUrl(foreign.url, (client) =>
      checkMigration(client, resolveProfile(), '20250101000000'),
    );
    assert.equal(differs.status, 'advice');
    assert.equal(differs.ok, true);
    const old = await withDatabaseUrl(foreign.url, (client) => checkMigration(client, resolveProfile(), null));
    assert.equal(old.status, 'not-checked');
  });
});

describe('schema profile pointed at real table names', () => {
  let url: string;
  before(async () => {
    url = await freshDatabase(await clusterReady, 'profile_named');
    await withDatabaseUrl(url, async (client) => {
      await client.query(`CREATE SCHEMA app;
        CREATE TABLE app.events (id bigserial PRIMARY KEY, kind text, at timestamptz NOT NULL DEFAULT now());
        CREATE FUNCTION app.no_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'append-only'; END $$;
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON app.events FOR EACH ROW EXECUTE FUNCTION app.no_change();
        INSERT INTO app.events (kind) VALUES ('user.created');`);
    });
  });

  it('finds the append-only log through PROFILE_AUDIT_TABLE and its column settings', async () => {
    const values: Record<string, string> = {
      PROFILE_AUDIT_TABLE: 'app.events',
      PROFILE_AUDIT_ACTION_COLUMN: 'kind',
      PROFILE_AUDIT_TIME_COLUMN: 'at',
    };
    const outcome = await withDatabaseUrl(url, (client) =>
      checkAuditTrigger(client, resolveProfile({ get: (n) => values[n] })),
    );
    assert.equal(outcome.status, 'ok', outcome.detail);
    assert.match(outcome.detail, /events_append_only rejected an UPDATE/);
    const defaults = await withDatabaseUrl(url, (client) => checkAuditTrigger(client, resolveProfile()));
    assert.equal(defaults.status, 'not-checked');
    assert.match(defaults.detail, /there is no table public\.audit_log/);
  });
});
