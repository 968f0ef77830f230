/**
 * The retention report's figures against what exists: the real executable, headless, on a BACKUP_DIR of backups
 * of several ages, sizes, reasons and pins, and an s3rver bucket holding some of them plus objects that are not
 * ours. Every backup, byte count, pin and verdict the record lists is checked against `stat` and the bucket's own
 * listing; the GDPR paragraph's date is the window or the latest pin. Then the erasure window's arithmetic for
 * bucket configurations s3rver cannot have (versioning, lifecycle rules, Object Lock).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { listObjects, putJson } from '../../src/s3/objects.js';
import { uploadFile } from '../../src/s3/upload.js';
import { classifyName, localInventory } from '../../src/backup/inventory.js';
import { erasureWindow, planLocation, retentionPolicy } from '../../src/backup/retention.js';
import { runCli, testHome } from '../helpers/cli.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { contextFor, useEnvCredentials } from '../s3/fixture.js';
import { ago, DAY, HOUR, writeFakeBackup, type FakeBackup } from './fixture.js';

type Listed = {
  names: string[];
  bytes: number;
  pinUntil: string | null;
  verdict: string;
  eras: string[];
  verified: boolean;
  reason: string | null;
};
type Report = {
  local: { backups: Listed[]; bytes: number };
  bucket: { backups: Listed[]; bytes: number };
  erasure: { until: string | null; pinnedUntil: string | null };
  gdpr: string;
};

describe('the retention report matches what exists', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  const home = testHome('obexal-retention-report-');
  const backupDir = home.env.BACKUP_DIR as string;
  const backups: FakeBackup[] = [];
  let pinUntil: Date;
  let report: Report;
  let stdout: string;

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
    pinUntil = new Date(Math.floor((Date.now() + 40 * DAY) / 1000) * 1000);
    backups.push(await writeFakeBackup(backupDir, { takenAt: ago(30 * DAY), size: 3000, verifiedBucket: true }));
    backups.push(
      await writeFakeBackup(backupDir, {
        takenAt: ago(20 * DAY),
        size: 5000,
        reason: 'pre-rotation',
        pinUntil,
        verifiedBucket: true,
      }),
    );
    backups.push(
      await writeFakeBackup(backupDir, {
        takenAt: ago(3 * DAY),
        size: 7000,
        reason: 'pre-migration',
        verifiedBucket: true,
      }),
    );
    backups.push(await writeFakeBackup(backupDir, { takenAt: ago(HOUR), size: 11000 }));
    // The bucket holds the first three (not the newest, not yet replicated), plus objects that are not backups.
    for (const b of backups.slice(0, 3)) {
      await uploadFile(context, { file: join(backupDir, b.dumpName), name: b.dumpName, sha256: b.sha256 });
      await uploadFile(context, { file: join(backupDir, b.manifestName), name: b.manifestName });
    }
    await putJson(context, 'key-eras.json', { eras: [] });
    await putJson(context, 'records/x.json', { not: 'a backup' });
    const result = await runCli(['retention', '--json'], { ...home.env, ...s3.env, RETENTION_DAYS: '14' });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    stdout = result.stdout;
    const path =
      /"recordPath":"([^"]+\.json)"/.exec(stdout)?.[1] ??
      readdirSync(join(backupDir, 'records'))
        .filter((n) => n.endsWith('.json'))
        .map((n) => join(backupDir, 'records', n))[0];
    assert.ok(path, stdout.slice(-2000));
    report = (JSON.parse(readFileSync(path, 'utf8')) as { details: { retention: Report } }).details.retention;
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    await rm(home.dir, { recursive: true, force: true });
  });

  test('local: every backup file in BACKUP_DIR, with its exact bytes, pin and verdict', () => {
    const ours = readdirSync(backupDir).filter((n) => classifyName(n).kind !== 'foreign');
    assert.deepEqual(
      report.local.backups.flatMap((b) => b.names).sort(),
      ours.sort(),
      'the report lists exactly the files of ours',
    );
    for (const listed of report.local.backups) {
      assert.equal(
        listed.bytes,
        listed.names.reduce((n, name) => n + statSync(join(backupDir, name)).size, 0),
        `${listed.names[0]}: bytes`,
      );
    }
    assert.equal(
      report.local.bytes,
      ours.reduce((n, name) => n + statSync(join(backupDir, name)).size, 0),
    );
    const verdicts = Object.fromEntries(report.local.backups.map((b) => [b.names[0], b.verdict]));
    assert.deepEqual(verdicts, {
      [backups[0]!.dumpName]: 'prune',
      [backups[1]!.dumpName]: 'keep',
      [backups[2]!.dumpName]: 'keep',
      [backups[3]!.dumpName]: 'keep',
    });
    assert.equal(
      report.local.backups.find((b) => b.names[0] === backups[1]!.dumpName)?.pinUntil,
      pinUntil.toISOString(),
    );
    assert.deepEqual(
      report.local.backups.map((b) => b.eras),
      [['era-1'], ['era-1'], ['era-1'], ['era-1']],
    );
  });

  test('bucket: every object of ours under the prefix, with its exact bytes; objects not ours are not backups', async () => {
    const objects = (await listObjects(context)).filter(
      (o) => !o.name.includes('/') && classifyName(o.name).kind !== 'foreign',
    );
    assert.deepEqual(report.bucket.backups.flatMap((b) => b.names).sort(), objects.map((o) => o.name).sort());
    const size = new Map(objects.map((o) => [o.name, o.size]));
    for (const listed of report.bucket.backups)
      assert.equal(
        listed.bytes,
        listed.names.reduce((n, name) => n + (size.get(name) ?? NaN), 0),
        `${listed.names[0]}: bytes`,
      );
    assert.equal(
      report.bucket.bytes,
      objects.reduce((n, o) => n + o.size, 0),
    );
    assert.equal(report.bucket.backups.length, 3);
    assert.ok(report.bucket.backups.every((b) => b.verified));
  });

  test('the text names what the next run prunes, and the GDPR paragraph gives the window with the pin, where and how', () => {
    assert.match(stdout, /next prune, local: 1 of 4 backup\(s\)/);
    assert.match(stdout, /next prune, bucket: 1 of 3 backup\(s\)/);
    assert.equal(report.erasure.pinnedUntil, pinUntil.toISOString());
    assert.equal(report.erasure.until, pinUntil.toISOString(), 'the pin (40 days) outlasts the 14-day window');
    assert.match(report.gdpr, new RegExp(`until ${pinUntil.toISOString().slice(0, 10)} at the latest`));
    assert.match(report.gdpr, /1 backup\(s\) pinned beyond it/);
    assert.match(report.gdpr, new RegExp(`in ${backupDir.replace(/[/.]/g, '\\$&')}`));
    assert.match(report.gdpr, /in the bucket s3:\/\/obexal-test\//);
    assert.match(report.gdpr, /encrypted with age .* to 1 recipient key/);
    assert.match(report.gdpr, /\(AES-256-GCM\) under ENCRYPTION_KEY \(key eras era-1\)/);
  });
});

describe('the erasure window and the bucket configuration', () => {
  const now = new Date('2026-11-24T12:00:00Z');
  const policy = retentionPolicy('14', now);
  const plans = async () => [planLocation(await localInventory('/nonexistent-obexal-dir'), policy)];
  const day = (d: Date | undefined) => d?.toISOString().slice(0, 10);

  test('unversioned: the window alone', async () => {
    assert.equal(day(erasureWindow(await plans(), policy, { versioning: 'never-enabled' }).until), '2026-12-08');
  });
  test('versioned with a noncurrent-version rule: the window plus the rule; without one: no bound', async () => {
    assert.equal(
      day(erasureWindow(await plans(), policy, { versioning: 'enabled', noncurrentExpirationDays: 30 }).until),
      '2027-01-07',
    );
    const unbounded = erasureWindow(await plans(), policy, { versioning: 'enabled' });
    assert.equal(unbounded.until, undefined);
    assert.match(unbounded.bucketNotes.join(' '), /delete marker|noncurrent version until someone deletes/);
  });
  test('Object Lock longer than the window keeps objects its retention period', async () => {
    assert.equal(
      day(
        erasureWindow(await plans(), policy, {
          versioning: 'enabled',
          noncurrentExpirationDays: 1,
          objectLockDays: 90,
          objectLockMode: 'COMPLIANCE',
        }).until,
      ),
      '2027-02-23',
    );
  });
  test('a lifecycle expiry shorter than RETENTION_DAYS is reported', async () => {
    assert.match(
      erasureWindow(await plans(), policy, { versioning: 'never-enabled', currentExpirationDays: 7 }).bucketNotes.join(
        ' ',
      ),
      /before RETENTION_DAYS/,
    );
  });
});
