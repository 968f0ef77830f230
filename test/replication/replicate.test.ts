/**
 * Replication against s3rver over HTTP with the real SDK: a 30 MB dump goes up (multipart) and the stored bytes
 * hash to the local SHA-256; a deleted copy is replicated again; a bucket that is down fails the step with the
 * "kept locally" message and nothing local changes; once it is back, the next run catches up.
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { StepFailedError } from '../../src/core/errors.js';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { deleteObjects, getJson, headObject, listObjects } from '../../src/s3/objects.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { replicateBackups, type ReplicateOptions } from '../../src/backup/replicate.js';
import { retentionPolicy } from '../../src/backup/retention.js';
import type { Manifest } from '../../src/backup/manifest.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, useEnvCredentials } from '../s3/fixture.js';
import { ago, DAY, HOUR, readManifest, scratchDir, writeFakeBackup, type FakeBackup } from '../retention/fixture.js';

const BIG = 30 * 1024 * 1024 + 4321;

async function sha256OfStoredObject(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('replication to the bucket', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  let dir: string;
  let big: FakeBackup;
  let older: FakeBackup;
  const progress: { done: number; total: number; unit: string }[] = [];
  const lines: string[] = [];

  const options = (env: Record<string, string> = s3.env): ReplicateOptions => ({
    backupDir: dir,
    s3: s3SettingsFromEnv(env),
    policy: retentionPolicy('14'),
    output: (line) => lines.push(line),
    progress: (p) => progress.push(p),
  });

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
    dir = scratchDir('obexal-replicate-');
    older = await writeFakeBackup(dir, { takenAt: ago(3 * DAY) });
    big = await writeFakeBackup(dir, { takenAt: ago(HOUR), size: BIG });
    // Neither is replicated: a foreign file, a partial, a dump past the window, a dump without its manifest.
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    writeFileSync(join(dir, 'obexal-20200101T000000Z.dump.age.partial'), 'half');
    await writeFakeBackup(dir, { takenAt: ago(30 * DAY), verifiedLocal: false });
    await writeFakeBackup(dir, { takenAt: ago(2 * DAY), noManifest: true });
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a 30 MB dump and its manifest go up; the stored bytes hash to the local SHA-256; the manifests record the check', async () => {
    const result = await replicateBackups(options());
    assert.deepEqual(result.uploaded.sort(), [big.dumpName, older.dumpName].sort());
    assert.equal(result.newest, big.dumpName);
    assert.equal(result.bytesUploaded, BIG + older.size);

    const stored = s3.storedObjectPath(`obexal/${big.dumpName}`);
    assert.equal(await sha256OfStoredObject(stored), big.sha256, 'the bytes s3rver stored hash to the local SHA-256');
    assert.equal((await headObject(context, big.dumpName))?.sha256, big.sha256, 'SHA-256 metadata');

    // Local manifest updated; the bucket's copy is the same bytes.
    const local = await readManifest(dir, big.manifestName);
    assert.equal(local.verified.bucket, true);
    assert.ok(local.verified.bucketCheckedAt);
    const inBucket = await getJson<Manifest>(context, big.manifestName);
    assert.equal(inBucket?.value.verified.bucket, true);
    assert.equal(
      JSON.stringify(inBucket?.value),
      JSON.stringify(JSON.parse(await readFile(join(dir, big.manifestName), 'utf8'))),
    );

    // Only ours, complete and within the window went up.
    const names = (await listObjects(context)).map((o) => o.name).sort();
    assert.deepEqual(names, [big.dumpName, big.manifestName, older.dumpName, older.manifestName].sort());
    assert.ok(
      lines.some((l) => l.includes('past the retention window')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.includes('no manifest')),
      lines.join('\n'),
    );

    // Progress in bytes, towards a total of the uploads plus the full read-back of the newest dump.
    assert.ok(progress.length > 3);
    assert.ok(progress.every((p) => p.unit === 'bytes' && p.total === BIG + older.size + BIG));
    assert.equal(progress.at(-1)?.done, progress.at(-1)?.total);
  });

  test('a second run uploads nothing new; a deleted bucket copy is replicated again', async () => {
    const again = await replicateBackups(options());
    assert.deepEqual(again.uploaded, []);
    assert.deepEqual(again.alreadyThere.sort(), [big.dumpName, older.dumpName].sort());

    await deleteObjects(context, [older.dumpName]);
    assert.equal(await headObject(context, older.dumpName), undefined);
    const restored = await replicateBackups(options());
    assert.deepEqual(restored.uploaded, [older.dumpName]);
    assert.equal(await sha256OfStoredObject(s3.storedObjectPath(`obexal/${older.dumpName}`)), older.sha256);
  });

  test('a copy with other content under the same name is replaced', async () => {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await context.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: `obexal/${older.dumpName}`,
        Body: 'tampered',
        Metadata: { sha256: '0'.repeat(64) },
      }),
    );
    const result = await replicateBackups(options());
    assert.deepEqual(result.uploaded, [older.dumpName]);
    assert.equal((await headObject(context, older.dumpName))?.size, older.size);
  });

  test('a bucket that is down: the step fails with the "kept" message, the local backup is intact; the next run catches up', async () => {
    const localBefore = await readFile(join(dir, big.dumpName));
    const manifestBefore = await readFile(join(dir, big.manifestName), 'utf8');
    const fresh = await writeFakeBackup(dir, { takenAt: ago(60_000) });
    const downEnv = { ...s3.env, S3_ENDPOINT: `http://127.0.0.1:${await closedPort()}` };
    await assert.rejects(replicateBackups(options(downEnv)), (error: unknown) => {
      assert.ok(error instanceof StepFailedError);
      assert.equal(error.exitCode, 1);
      assert.match(error.message, /unreachable/);
      assert.match(
        error.message,
        new RegExp(
          `the local dump ${fresh.dumpName.replace(/\./g, '\\.')} is complete and kept; the next run replicates it`,
        ),
      );
      assert.ok(error.hint);
      return true;
    });
    assert.ok(existsSync(join(dir, fresh.dumpName)) && existsSync(join(dir, fresh.manifestName)));
    assert.equal((await readManifest(dir, fresh.manifestName)).verified.bucket, false);
    assert.deepEqual(await readFile(join(dir, big.dumpName)), localBefore);
    assert.equal(await readFile(join(dir, big.manifestName), 'utf8'), manifestBefore);
    assert.equal(await headObject(context, fresh.dumpName), undefined);

    const caughtUp = await replicateBackups(options());
    assert.deepEqual(caughtUp.uploaded, [fresh.dumpName]);
    assert.equal(caughtUp.newest, fresh.dumpName);
    assert.equal((await headObject(context, fresh.dumpName))?.sha256, fresh.sha256);
    assert.equal((await readManifest(dir, fresh.manifestName)).verified.bucket, true);
  });

  test('a local dump that no longer matches its manifest is not replicated and fails the step', async () => {
    const damaged = await writeFakeBackup(dir, { takenAt: ago(2 * HOUR) });
    const bytes = await readFile(join(dir, damaged.dumpName));
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    writeFileSync(join(dir, damaged.dumpName), bytes);
    await assert.rejects(
      replicateBackups(options()),
      /could not be replicated: .*obexal-.*changed during the upload|could not be replicated/,
    );
    assert.equal(await headObject(context, damaged.dumpName), undefined, 'the damaged upload was removed');
    assert.equal((await readManifest(dir, damaged.manifestName)).verified.bucket, false);
    await rm(join(dir, damaged.dumpName));
    await rm(join(dir, damaged.manifestName));
  });
});
