/**
 * Restoring from the bucket (s3rver over HTTP, the real AWS SDK): `latest` is the newest verified dump of the
 * target's source and never a pre-restore one; the dump is fetched streamed into the private folder and its
 * SHA-256 checked against the manifest; a damaged object is refused with the target untouched.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openS3, closeS3, type S3Context } from '../../src/s3/client.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { uploadFile } from '../../src/s3/upload.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
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

describe('restore from the bucket', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  let db: SandboxDatabase;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let newer: MadeDump;

  async function upload(dump: MadeDump, verifiedInBucket: boolean): Promise<void> {
    const manifest = JSON.parse(readFileSync(dump.manifestPath, 'utf8'));
    manifest.verified = {
      local: true,
      bucket: verifiedInBucket,
      bucketCheckedAt: verifiedInBucket ? new Date().toISOString() : null,
    };
    writeFileSync(dump.manifestPath, JSON.stringify(manifest, null, 2));
    await uploadFile(context, { file: dump.path, name: dump.name, sha256: dump.manifest.dump.sha256 });
    await uploadFile(context, {
      file: dump.manifestPath,
      name: dump.manifestPath.split('/').pop()!,
      contentType: 'application/json',
    });
  }

  before(async () => {
    s3 = await startS3rver();
    context = openS3(s3SettingsFromEnv(s3.env), {
      credentials: { accessKeyId: s3.env.AWS_ACCESS_KEY_ID!, secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY! },
    });
    const cluster = await clusterReady;
    db = await sandboxDatabase(cluster, { prefix: 'bucket', size: { users: 100, auditEvents: 800 } });
    home = testHome();
    identity = await ageKeyPair(home.dir);
    const staging = join(home.dir, 'staging');
    mkdirSync(staging);
    const era = eraOf('era-a', db.encryptionKey);
    writeRegisterFile(home.env.BACKUP_DIR!, [{ ...era, start: '2026-01-01T00:00:00.000Z', end: null }]);
    const mark = (text: string) =>
      withPg(db.url, (c) => c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', $1)`, [text]));
    const hour = 3_600_000;
    await mark('before-older');
    await upload(
      await makeDump({
        url: db.url,
        backupDir: staging,
        recipient: identity.recipient,
        eras: [era],
        at: new Date(Date.now() - 3 * hour),
      }),
      true,
    );
    await mark('before-newer');
    newer = await makeDump({
      url: db.url,
      backupDir: staging,
      recipient: identity.recipient,
      eras: [era],
      at: new Date(Date.now() - 2 * hour),
    });
    await upload(newer, true);
    await mark('before-pre-restore');
    await upload(
      await makeDump({
        url: db.url,
        backupDir: staging,
        recipient: identity.recipient,
        eras: [era],
        at: new Date(Date.now() - hour),
        reason: 'pre-restore',
      }),
      true,
    );
    await mark('after-every-dump');
  });

  after(async () => {
    if (context) closeS3(context);
    await s3?.stop();
  });

  function env(tmp: string): Record<string, string | undefined> {
    return {
      ...home.env,
      ...s3.env,
      TMPDIR: tmp,
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: db.encryptionKey,
      BACKUP_IDENTITY_FILE: identity.identityFile,
    };
  }

  it('refuses a damaged object (SHA-256 against the manifest) and leaves the target untouched', async () => {
    const stored = s3.storedObjectPath(`obexal/${newer.name}`);
    const original = readFileSync(stored);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 100] = (damaged[damaged.length - 100] ?? 0) ^ 0xff;
    writeFileSync(stored, damaged);
    try {
      const checksums = await tableChecksums(db.url);
      const result = await runCli(['restore', newer.name], env(privateTmp()), { timeoutMs: 120_000 });
      assert.equal(result.exitCode, 1, result.stdout);
      assert.match(
        result.stdout,
        /has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64} \(from the manifest\); the download was discarded/,
      );
      assert.deepEqual(await tableChecksums(db.url), checksums);
    } finally {
      writeFileSync(stored, original);
    }
  });

  it('restores `latest`: the newest verified dump of this source, not the newer pre-restore one', async () => {
    const tmp = privateTmp();
    const result = await runCli(['restore', 'latest'], env(tmp), { timeoutMs: 180_000 });
    assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, new RegExp(`dump ${newer.name} \\(bucket`));
    assert.match(result.stdout, /SHA-256 matches the manifest/);
    const markers = await withPg(db.url, async (c) =>
      (
        await c.query<{ target: string }>(`SELECT target FROM audit_log WHERE action = 'test.marker' ORDER BY id`)
      ).rows.map((r) => r.target),
    );
    assert.deepEqual(markers, ['before-older', 'before-newer']);
    assert.equal((await databasesLike(db.url, `${db.database}\\_\\_before\\_%`)).length, 1);
  });
});
