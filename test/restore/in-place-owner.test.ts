/**
 * In-place restore as a non-superuser owner (issue 11 item 7): the database's owner may not create databases and
 * its dump holds objects of another role (the `public` schema owned by the superuser, as on a database created
 * by an older server): `--no-owner` is chosen by itself, said in the plan (--dry-run) and the log, and the restore
 * succeeds. An untrusted extension (postgres_fdw) in the dump is found before the safety dump and refused with a
 * hint; the target is unchanged.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import type { Cluster } from '../../src/pg/cluster.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { seed } from '../../src/sandbox/seed/seed.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { ageKeyPair, eraOf, makeDump, privateTmp, tableChecksums, withPg, writeRegisterFile } from './fixture.js';

const clusterReady = withCluster();

describe('in-place restore as a non-superuser owner', () => {
  let cluster: Cluster;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let keyText: string;

  before(async () => {
    cluster = await clusterReady;
    home = testHome();
    identity = await ageKeyPair(home.dir);
    keyText = generateEncryptionKey();
    writeRegisterFile(home.env.BACKUP_DIR!, [
      { ...eraOf('era-a', keyText), start: '2026-01-01T00:00:00.000Z', end: null },
    ]);
    await withPg(cluster.url('postgres'), (c) =>
      c.query(
        `DO $$ BEGIN CREATE ROLE ip_owner LOGIN PASSWORD 'ip-owner-pw' NOCREATEDB NOSUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
      ),
    );
  });

  /** A database owned by ip_owner whose public schema belongs to the superuser; the sandbox schema made by ip_owner. */
  async function ownedDatabase(name: string, extra: string[] = []): Promise<string> {
    await withPg(cluster.url('postgres'), (c) =>
      c.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' OWNER ip_owner`),
    );
    await withPg(cluster.url(name), async (c) => {
      await c.query('ALTER SCHEMA public OWNER TO CURRENT_USER'); // the cluster's superuser
      await c.query('GRANT ALL ON SCHEMA public TO ip_owner');
      for (const statement of extra) await c.query(statement);
    });
    const url = new URL(cluster.url(name));
    url.username = 'ip_owner';
    url.password = 'ip-owner-pw';
    await withPg(url.toString(), async (client) => {
      await migrate(client);
      await seed(client, {
        encryptionKey: parseEncryptionKey(keyText),
        drill: { password: 'ip-drill-pw', totpSecret: generateTotpSecret() },
        size: { users: 30, auditEvents: 200 },
      });
    });
    return url.toString();
  }

  const env = (url: string) => ({
    ...home.env,
    TMPDIR: privateTmp(),
    DATABASE_URL: url,
    CONFIRM: 'yes',
    ENCRYPTION_KEY: keyText,
    BACKUP_IDENTITY_FILE: identity.identityFile,
    BACKUP_RECIPIENTS: identity.recipient,
  });
  const safetyDumps = () =>
    readdirSync(home.env.BACKUP_DIR!)
      .filter((n) => n.endsWith('.manifest.json'))
      .filter((n) => JSON.parse(readFileSync(join(home.env.BACKUP_DIR!, n), 'utf8')).reason === 'pre-restore').length;

  it('chooses --no-owner by itself, says so in the plan and the log, and restores', async () => {
    const url = await ownedDatabase(`ip_plain_${Math.random().toString(36).slice(2, 8)}`);
    const dump = await makeDump({
      url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [eraOf('era-a', keyText)],
    });
    await withPg(url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
    );
    const content = await tableChecksums(url);

    const plan = await runCli(['restore', dump.path, '--dry-run'], env(url), { timeoutMs: 180_000 });
    const planned = `${plan.stdout}\n${plan.stderr}`;
    assert.equal(plan.exitCode, 0, planned);
    assert.match(planned, /mode: in-place/);
    assert.match(
      planned,
      /ownership: --no-owner \(chosen by itself: ip_owner is not a superuser and cannot take the dump's owner\(s\) \w+/,
    );
    assert.deepEqual(await tableChecksums(url), content, 'a dry run touches nothing');

    const result = await runCli(['restore', dump.path], env(url), { timeoutMs: 300_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /ownership: --no-owner/);
    const markers = await withPg(
      url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE action = 'test.marker'`)).rowCount,
    );
    assert.equal(markers, 0, 'the dump was restored');
  });

  it('refuses an untrusted extension before the safety dump, naming the statement a superuser runs', async () => {
    const name = `ip_fdw_${Math.random().toString(36).slice(2, 8)}`;
    const url = await ownedDatabase(name, ['CREATE EXTENSION postgres_fdw']);
    const dump = await makeDump({
      url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [eraOf('era-a', keyText)],
    });
    const content = await tableChecksums(url);
    const before = safetyDumps();
    const result = await runCli(['restore', dump.path], env(url), { timeoutMs: 180_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 1, output);
    assert.match(output, /postgres_fdw/);
    assert.match(output, /superuser/);
    assert.match(output, /nothing was changed/);
    assert.equal(safetyDumps(), before, 'no safety dump was taken');
    assert.deepEqual(await tableChecksums(url), content);
  });
});
