/**
 * Retention in the bucket (s3rver over HTTP, the real SDK): the same rules as locally, read from the manifests
 * stored in the bucket; foreign objects and sub-folders untouched; a hold placed in the bucket stops every
 * deletion, local ones included; an unreachable bucket prunes nothing anywhere.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { closeS3, openS3, type S3Context } from '../../src/s3/client.js';
import { deleteObjects, listObjects, putJson } from '../../src/s3/objects.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { uploadFile } from '../../src/s3/upload.js';
import { newHold, removeBucketHold, writeBucketHold } from '../../src/backup/hold.js';
import { retentionPolicy } from '../../src/backup/retention.js';
import { pruneSurvey, surveyLines, surveyRetention } from '../../src/backup/retention-run.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, FAST, useEnvCredentials } from '../s3/fixture.js';
import { ago, DAY, HOUR, scratchDir, writeFakeBackup, type FakeBackupOptions } from './fixture.js';

describe('retention in the bucket', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  let staging: string;
  let backupDir: string;
  const scratch: string[] = [];

  /** A backup as replication leaves it in the bucket: the dump and its manifest (verified.bucket unless said). */
  async function bucketBackup(options: FakeBackupOptions) {
    const b = await writeFakeBackup(staging, { verifiedBucket: true, ...options });
    await uploadFile(context, { file: join(staging, b.dumpName), name: b.dumpName, sha256: b.sha256 });
    if (!options.noManifest)
      await uploadFile(context, {
        file: join(staging, b.manifestName),
        name: b.manifestName,
        contentType: 'application/json',
      });
    return b;
  }
  const names = async (): Promise<string[]> => (await listObjects(context)).map((o) => o.name).sort();
  const prune = async () => {
    const target = { backupDir, policy: retentionPolicy('14'), s3: context };
    const survey = await surveyRetention(target);
    const output: string[] = [];
    const result = await pruneSurvey(survey, target, (l) => output.push(l));
    return { survey, lines: surveyLines(survey, new Date()), output, result };
  };

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
  });
  beforeEach(async () => {
    const all = await listObjects(context);
    await deleteObjects(
      context,
      all.map((o) => o.name),
    );
    staging = scratchDir('obexal-staging-');
    backupDir = scratchDir('obexal-backups-');
    scratch.push(staging, backupDir);
  });

  test('window, floor, pre-restore, pins and foreign objects, decided from the manifests in the bucket', async () => {
    const old = await bucketBackup({ takenAt: ago(40 * DAY) });
    const floor = await bucketBackup({ takenAt: ago(30 * DAY) });
    const notVerified = await bucketBackup({ takenAt: ago(25 * DAY), verifiedBucket: false });
    const preRestore = await bucketBackup({ takenAt: ago(20 * DAY), reason: 'pre-restore' });
    const pinned = await bucketBackup({
      takenAt: ago(35 * DAY),
      reason: 'pre-migration',
      pinUntil: new Date(Date.now() + 3 * DAY),
    });
    const expiredPin = await bucketBackup({
      takenAt: ago(34 * DAY),
      reason: 'pre-rotation',
      pinUntil: new Date(Date.now() - HOUR),
    });
    const recentNoManifest = await bucketBackup({ takenAt: ago(2 * DAY), noManifest: true });
    const oldNoManifest = await bucketBackup({ takenAt: ago(16 * DAY), noManifest: true });
    await putJson(context, 'notes.txt', { note: 'not ours' });
    await putJson(context, 'obexal-foo.dump', { note: 'not ours' });
    await putJson(context, 'key-eras.json', { eras: [] });
    await putJson(context, 'records/obexal-20200101T000000Z.dump.age', { note: 'in a sub-folder' });

    const { lines, output } = await prune();
    assert.ok(
      lines.some((l) => l.startsWith('bucket') && l.includes(floor.dumpName) && l.includes('newest verified')),
      lines.join('\n'),
    );
    assert.ok(
      output.every((l) => l.startsWith('pruned bucket ')),
      output.join('\n'),
    );
    const left = await names();
    const expected = [
      floor.dumpName,
      floor.manifestName,
      pinned.dumpName,
      pinned.manifestName,
      recentNoManifest.dumpName,
      'key-eras.json',
      'notes.txt',
      'obexal-foo.dump',
      'records/obexal-20200101T000000Z.dump.age',
    ].sort();
    assert.deepEqual(left, expected);
    for (const gone of [old, notVerified, preRestore, expiredPin, oldNoManifest])
      assert.ok(!left.includes(gone.dumpName), gone.dumpName);
  });

  test('a bucket dump whose manifest is only local still gets its time and pin from the local manifest', async () => {
    const b = await writeFakeBackup(backupDir, {
      takenAt: ago(30 * DAY),
      reason: 'manual',
      pinUntil: new Date(Date.now() + DAY),
    });
    await uploadFile(context, { file: join(backupDir, b.dumpName), name: b.dumpName, sha256: b.sha256 });
    await prune();
    assert.deepEqual(await names(), [b.dumpName]);
    assert.ok(existsSync(join(backupDir, b.dumpName)));
  });

  test('a hold placed in the bucket stops every deletion, in the bucket and locally', async () => {
    const oldBucket = await bucketBackup({ takenAt: ago(40 * DAY) });
    await bucketBackup({ takenAt: ago(HOUR) });
    const oldLocal = await writeFakeBackup(backupDir, { takenAt: ago(40 * DAY) });
    await writeFakeBackup(backupDir, { takenAt: ago(HOUR) });
    await writeBucketHold(context, newHold('INC-7 breach investigation'));
    const { lines, result } = await prune();
    assert.equal(result.held?.reason, 'INC-7 breach investigation');
    assert.ok(
      lines.some((l) => l.includes('retention hold active') && l.includes('(bucket)')),
      lines.join('\n'),
    );
    assert.ok((await names()).includes(oldBucket.dumpName));
    assert.ok(existsSync(join(backupDir, oldLocal.dumpName)));

    assert.equal(await removeBucketHold(context), true);
    await prune();
    assert.ok(!(await names()).includes(oldBucket.dumpName));
    assert.ok(!existsSync(join(backupDir, oldLocal.dumpName)));
  });

  test('an unreachable bucket prunes nothing anywhere (a hold there cannot be ruled out)', async () => {
    const oldLocal = await writeFakeBackup(backupDir, { takenAt: ago(40 * DAY) });
    await writeFakeBackup(backupDir, { takenAt: ago(HOUR) });
    const down = openS3(s3SettingsFromEnv({ ...s3.env, S3_ENDPOINT: `http://127.0.0.1:${await closedPort()}` }), FAST);
    try {
      const target = { backupDir, policy: retentionPolicy('14'), s3: down };
      const survey = await surveyRetention(target);
      assert.ok(survey.bucketError);
      assert.ok(surveyLines(survey, new Date()).some((l) => l.startsWith('bucket unreachable')));
      await assert.rejects(
        pruneSurvey(survey, target, () => undefined),
        /nothing was pruned, locally or in the bucket/,
      );
      assert.ok(existsSync(join(backupDir, oldLocal.dumpName)));
    } finally {
      closeS3(down);
    }
  });

  after(async () => {
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });
});
