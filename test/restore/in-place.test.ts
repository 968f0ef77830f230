/**
 * In-place mode: the target's role may not create databases, so the restore makes a pre-restore safety dump
 * (encrypted, with a manifest whose reason is pre-restore) and runs one pg_restore --clean in one transaction.
 * A restore that fails midway (an object of the target depends on a table the dump replaces) is rolled back
 * whole: the target is unchanged.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { createDatabase } from '../../src/pg/databases.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { seed } from '../../src/sandbox/seed/seed.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import {
  ageKeyPair,
  databasesLike,
  eraOf,
  makeDump,
  privateTmp,
  tableChecksums,
  withPg,
  writeRegisterFile,
  type MadeDump,
} from './fixture.js';

const clusterReady = withCluster();

describe('in-place restore (a role without CREATEDB)', () => {
  let ownerUrl: string;
  let database: string;
  let keyText: string;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let dump: MadeDump;

  before(async () => {
    const cluster = await clusterReady;
    await withPg(cluster.url('postgres'), (c) =>
      c.query(`CREATE ROLE app_owner LOGIN PASSWORD 'app-owner-pw' NOCREATEDB`),
    );
    database = `in_place_${Math.random().toString(36).slice(2, 8)}`;
    const superUrl = await createDatabase(cluster, database, { owner: 'app_owner' });
    const url = new URL(superUrl);
    url.username = 'app_owner';
    url.password = 'app-owner-pw';
    ownerUrl = url.toString();
    keyText = generateEncryptionKey();
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      await migrate(client);
      await seed(client, {
        encryptionKey: parseEncryptionKey(keyText),
        drill: { password: 'in-place-drill-pw', totpSecret: generateTotpSecret() },
        size: { users: 100, auditEvents: 1000 },
      });
    } finally {
      await client.end();
    }
    home = testHome();
    identity = await ageKeyPair(home.dir);
    const era = eraOf('era-a', keyText);
    writeRegisterFile(home.env.BACKUP_DIR!, [{ ...era, start: '2026-01-01T00:00:00.000Z', end: null }]);
    dump = await makeDump({
      url: ownerUrl,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [era],
      at: new Date(Date.now() - 60_000),
    });
    await withPg(ownerUrl, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
    );
  });

  function env(tmp: string): Record<string, string | undefined> {
    return {
      ...home.env,
      TMPDIR: tmp,
      DATABASE_URL: ownerUrl,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: keyText,
      BACKUP_IDENTITY_FILE: identity.identityFile,
      BACKUP_RECIPIENTS: identity.recipient,
    };
  }

  function safetyManifests(): string[] {
    return readdirSync(home.env.BACKUP_DIR!)
      .filter((n) => n.endsWith('.manifest.json'))
      .filter((n) => JSON.parse(readFileSync(join(home.env.BACKUP_DIR!, n), 'utf8')).reason === 'pre-restore');
  }

  it('a restore that fails inside the transaction leaves the target unchanged (and the safety dump exists)', async () => {
    await withPg(ownerUrl, (c) =>
      c.query('CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = $$active$$'),
    );
    const checksums = await tableChecksums(ownerUrl);
    const result = await runCli(['restore', dump.path], env(privateTmp()), { timeoutMs: 180_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 1, output);
    assert.match(output, /mode: in-place/);
    assert.match(output, /the transaction was rolled back: .* is as it was/);
    assert.deepEqual(await tableChecksums(ownerUrl), checksums);
    assert.equal(safetyManifests().length, 1, 'the pre-restore safety dump was written first');
    await withPg(ownerUrl, (c) => c.query('DROP VIEW active_users'));
  });

  it('restores in one transaction after a pre-restore safety dump', async () => {
    const tmp = privateTmp();
    const result = await runCli(['restore', dump.path], env(tmp), { timeoutMs: 180_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /mode: in-place \(the role may not create or rename databases/);
    assert.match(output, /pre-restore safety dump written/);
    const markers = await withPg(
      ownerUrl,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE action = 'test.marker'`)).rowCount,
    );
    assert.equal(markers, 0, 'the row written after the dump is gone: the dump was restored');
    assert.deepEqual(await databasesLike(ownerUrl, `${database}\\_\\_%`), []);
    assert.equal(safetyManifests().length, 2);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
    );
  });
});
