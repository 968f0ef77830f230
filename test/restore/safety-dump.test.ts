/**
 * The in-place restore's pre-restore safety dump is a backup like any other (made by backup.dump and
 * backup.manifest): its manifest has the reason pre-restore, the row counts of the target as it was, the key era in
 * force and a verified checksum, and restoring it brings back what the first restore replaced.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
import { ageKeyPair, eraOf, makeDump, privateTmp, withPg, writeRegisterFile, type MadeDump } from './fixture.js';

const clusterReady = withCluster();

interface SafetyManifest {
  reason: string;
  rowCounts: Record<string, number>;
  keyEras: { label: string }[];
  dump: { name: string; sha256: string };
}

describe('the pre-restore safety dump of an in-place restore', () => {
  let ownerUrl: string;
  let keyText: string;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let dump: MadeDump;

  before(async () => {
    const cluster = await clusterReady;
    await withPg(cluster.url('postgres'), (c) =>
      c.query(`CREATE ROLE safety_owner LOGIN PASSWORD 'safety-owner-pw' NOCREATEDB`),
    );
    const database = `safety_${Math.random().toString(36).slice(2, 8)}`;
    const url = new URL(await createDatabase(cluster, database, { owner: 'safety_owner' }));
    url.username = 'safety_owner';
    url.password = 'safety-owner-pw';
    ownerUrl = url.toString();
    keyText = generateEncryptionKey();
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      await migrate(client);
      await seed(client, {
        encryptionKey: parseEncryptionKey(keyText),
        drill: { password: 'safety-drill-pw', totpSecret: generateTotpSecret() },
        size: { users: 60, auditEvents: 300 },
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

  const env = (): Record<string, string | undefined> => ({
    ...home.env,
    TMPDIR: privateTmp(),
    DATABASE_URL: ownerUrl,
    CONFIRM: 'yes',
    ENCRYPTION_KEY: keyText,
    BACKUP_IDENTITY_FILE: identity.identityFile,
    BACKUP_RECIPIENTS: identity.recipient,
  });
  const markers = () =>
    withPg(
      ownerUrl,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE action = 'test.marker'`)).rowCount ?? 0,
    );

  it('is described like any backup and restores what the restore replaced', async () => {
    const auditRows = await withPg(ownerUrl, async (c) =>
      Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM audit_log')).rows[0]!.n),
    );
    const first = await runCli(['restore', dump.path], env(), { timeoutMs: 180_000 });
    assert.equal(first.exitCode, 0, `${first.stdout}\n${first.stderr}`);
    assert.equal(await markers(), 0, 'the dump was restored in place');

    const dir = home.env.BACKUP_DIR!;
    const safety = readdirSync(dir)
      .filter((n) => n.endsWith('.manifest.json'))
      .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as SafetyManifest)
      .filter((m) => m.reason === 'pre-restore');
    assert.equal(safety.length, 1, 'one pre-restore manifest');
    const manifest = safety[0]!;
    const auditKey = Object.keys(manifest.rowCounts).find((k) => /(^|\.)audit_log$/.test(k));
    assert.ok(auditKey, JSON.stringify(manifest.rowCounts));
    assert.equal(manifest.rowCounts[auditKey], auditRows, "the row counts are the target's before the restore");
    assert.deepEqual(
      manifest.keyEras.map((e) => e.label),
      ['era-a'],
    );
    assert.match(manifest.dump.sha256, /^[0-9a-f]{64}$/);
    const safetyPath = join(dir, manifest.dump.name);
    assert.ok(existsSync(safetyPath), 'the safety dump is in BACKUP_DIR');

    const back = await runCli(['restore', safetyPath], env(), { timeoutMs: 180_000 });
    assert.equal(back.exitCode, 0, `${back.stdout}\n${back.stderr}`);
    assert.equal(await markers(), 1, 'restoring the safety dump brings back the row written after the first dump');
  });
});
