/**
 * A database nobody here wrote (test/helpers/foreign-db.ts: partitions, enums, domains, triggers, large objects,
 * RLS, dotted and quoted unicode names, a second schema, a Rails-style schema_migrations, an application's own
 * audit_log, a non-superuser owner) through the documented headless backup and
 * `CONFIRM=yes DATABASE_URL=… obexal-runbook restore <dump>`: into the existing database (swap) and onto a new
 * database, each exit 0 with the same schema dump and the same content hashes, without ENCRYPTION_KEY (the dump
 * holds no encrypted value), and the run names the Obexal checks it could not make.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManifestSchema, type Manifest } from '../../src/backup/manifest.js';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import type { Cluster } from '../../src/pg/cluster.js';
import { ageIdentity } from '../backup/helpers.js';
import { runCli, testHome, type CliResult } from '../helpers/cli.js';
import { contentHashes, foreignDatabase, schemaDump, type ForeignDatabase } from '../helpers/foreign-db.js';
import { withCluster, withDatabaseUrl } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';

const clusterReady = withCluster();

function output(result: CliResult): string {
  const text = `${result.stdout}\n${result.stderr}`;
  if (process.env.REALDB_TEST_DEBUG) console.log(text);
  return text;
}

describe('a non-Obexal database round-trips through backup and restore', () => {
  let cluster: Cluster;
  let source: ForeignDatabase;
  let home: ReturnType<typeof testHome>;
  let identityFile: string;
  let dumpPath: string;
  let manifest: Manifest;
  let schema: string;
  let hashes: Record<string, string>;

  before(async () => {
    cluster = await clusterReady;
    source = await foreignDatabase(cluster, {
      prefix: 'realdb',
      owner: { role: 'realdb_owner', password: 'owner-pw-1' },
    });
    home = testHome('obexal-realdb-');
    const identity = ageIdentity(tempDir('obexal-realdb-keys-'));
    identityFile = identity.file;
    // The documented cron line; ENCRYPTION_KEY only so that today's backup may open its key-era register.
    const backup = await runCli(
      ['backup', '--yes'],
      {
        ...home.env,
        DATABASE_URL: source.url,
        BACKUP_RECIPIENTS: identity.recipient,
        ENCRYPTION_KEY: generateEncryptionKey(),
      },
      { timeoutMs: 300_000 },
    );
    assert.equal(backup.exitCode, 0, output(backup));
    const backupDir = home.env.BACKUP_DIR as string;
    const names = readdirSync(backupDir);
    const dumpName = names.find((n) => n.endsWith('.dump.zst.age'));
    const manifestName = names.find((n) => n.endsWith('.manifest.json'));
    assert.ok(dumpName && manifestName, `a dump and its manifest: ${names.join(', ')}`);
    dumpPath = join(backupDir, dumpName);
    manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(backupDir, manifestName), 'utf8')));
    schema = await schemaDump(source.url);
    hashes = await contentHashes(source.url);
  });

  after(async () => {
    // The databases go with the cluster; the folders with the temp helper.
  });

  const restoreEnv = (databaseUrl: string) => ({
    ...home.env,
    DATABASE_URL: databaseUrl,
    CONFIRM: 'yes',
    BACKUP_IDENTITY_FILE: identityFile,
  });

  it('keys every table by schema and name in the manifest, and reads the Rails migration as a number', () => {
    assert.equal(manifest.rowCounts['"odd.name"'], 7);
    assert.equal(manifest.rowCounts['"sales.orders"'], 3);
    assert.equal(manifest.rowCounts['sales.orders'], 11);
    assert.equal(manifest.rowCounts['"my.schema".t'], 5);
    assert.equal(manifest.rowCounts['"Ünïcödé ""Täble"""'], 2);
    assert.equal((manifest.rowCounts.measurements_2025 ?? 0) + (manifest.rowCounts.measurements_2026 ?? 0), 200);
    assert.equal(manifest.rowCounts.audit_log, 25);
    assert.deepEqual(manifest.schemaMigration, { version: '20260218183352', name: null });
  });

  it('restores into the existing database (swap) without ENCRYPTION_KEY: exit 0, same schema and content', async () => {
    // Changes after the backup, which the restore must undo.
    await withDatabaseUrl(source.url, async (client) => {
      await client.query(`INSERT INTO documents (body) VALUES ('written after the backup')`);
      await client.query(`DELETE FROM sales.orders WHERE id > 5`);
      await client.query(`DROP TABLE "odd.name"`);
    });
    const result = await runCli(['restore', dumpPath], restoreEnv(source.url), { timeoutMs: 300_000 });
    const text = output(result);
    assert.equal(result.exitCode, 0, text);
    assert.equal(await schemaDump(source.url), schema);
    assert.deepEqual(await contentHashes(source.url), hashes);
    assert.match(text, /not checked: key era: no encrypted values in the dump/);
    assert.match(text, /not checked: append-only audit log: public\.audit_log has no column action, created_at/);
    assert.match(text, /not checked: newest audit event/);
    assert.match(text, /not checked: application sessions: there is no table public\.sessions/);
    assert.match(text, /ok: schema migration: version 20260218183352, as recorded/);
    assert.match(text, /ok: row counts: \d+ table\(s\) as the manifest counted them/);
    assert.match(text, /ok: large objects: 2/);
    assert.doesNotMatch(text, /rotation done outside/);
  });

  it('restores onto a new database: exit 0, same schema and content', async () => {
    const name = `realdb_new_${Math.random().toString(36).slice(2, 8)}`;
    const result = await runCli(['restore', dumpPath], restoreEnv(cluster.url(name)), { timeoutMs: 300_000 });
    const text = output(result);
    assert.equal(result.exitCode, 0, text);
    assert.equal(await schemaDump(cluster.url(name)), schema);
    assert.deepEqual(await contentHashes(cluster.url(name)), hashes);
    assert.match(text, /not checked: key era: no encrypted values in the dump/);
    assert.match(text, /not checked: append-only audit log/);
  });

  it("with the profile pointed at the application's own audit log: its events are read, its accepted UPDATE is advice, exit 0", async () => {
    const env = {
      ...restoreEnv(source.url),
      PROFILE_AUDIT_ACTION_COLUMN: 'event',
      PROFILE_AUDIT_TIME_COLUMN: 'happened_at',
      PROFILE_MIGRATIONS_TABLE: 'none',
    };
    const result = await runCli(['restore', dumpPath], env, { timeoutMs: 300_000 });
    const text = output(result);
    assert.equal(result.exitCode, 0, text);
    assert.match(text, /newest audit event: order\.created at 2026-01-01T00:00:00\.000Z/);
    assert.match(
      text,
      /ADVICE \(Obexal check, does not fail the restore\): public\.audit_log append-only trigger: an UPDATE of public\.audit_log was accepted/,
    );
    assert.match(text, /not checked: schema migration: PROFILE_MIGRATIONS_TABLE=none/);
    assert.deepEqual(await contentHashes(source.url), hashes);
  });

  it('restores the dump alone (no manifest) onto a new database: the archive decides, exit 0', async () => {
    const alone = join(tempDir('obexal-realdb-alone-'), basename(dumpPath));
    copyFileSync(dumpPath, alone);
    const name = `realdb_alone_${Math.random().toString(36).slice(2, 8)}`;
    const result = await runCli(['restore', alone], restoreEnv(cluster.url(name)), { timeoutMs: 300_000 });
    const text = output(result);
    assert.equal(result.exitCode, 0, text);
    assert.match(text, /ok: archive tables: 13 table\(s\) of the archive present/);
    assert.equal(await schemaDump(cluster.url(name)), schema);
    assert.deepEqual(await contentHashes(cluster.url(name)), hashes);
  });
});
