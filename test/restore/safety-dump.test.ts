/**
 * The in-place restore's pre-restore safety dump is a backup like any other (made by backup.dump and
 * backup.manifest): its manifest has the reason pre-restore, the row counts of the target as it was, the key era in
 * force and a verified checksum, and restoring it brings back what the first restore replaced.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { ownerDatabase } from './owner-database.js';
import { ageKeyPair, privateTmp, withPg, type MadeDump } from './fixture.js';

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
    ({ ownerUrl, keyText, home, identity, dump } = await ownerDatabase(cluster, {
      role: 'safety_owner',
      prefix: 'safety',
      size: { users: 60, auditEvents: 300 },
    }));
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
