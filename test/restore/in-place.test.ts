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
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { ownerDatabase } from './owner-database.js';
import { ageKeyPair, databasesLike, privateTmp, tableChecksums, withPg, type MadeDump } from './fixture.js';

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
    ({ ownerUrl, database, keyText, home, identity, dump } = await ownerDatabase(cluster, {
      role: 'app_owner',
      prefix: 'in_place',
      size: { users: 100, auditEvents: 1000 },
    }));
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
