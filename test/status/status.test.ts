/**
 * `obexal-runbook status` through the real executable, in the monitoring-plugins convention: exit 0 when the newest
 * verified backup (local and bucket) and the last passing drill are within their limits, 1 (WARNING) when one is
 * past its limit, 2 (CRITICAL) when one is missing, 3 (UNKNOWN) when the bucket cannot be checked or a limit is not
 * a duration. Backups and drill records are fabricated. (Until issue 11 these were 0 / 5 / 1 / 2.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compactUtc } from '../../src/backup/manifest.js';
import { addEra, emptyRegister } from '../../src/eras/register.js';
import { writeLocalRegister } from '../../src/eras/store.js';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { uploadFile } from '../../src/s3/upload.js';
import { runCli, testHome } from '../helpers/cli.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, useEnvCredentials } from '../s3/fixture.js';
import { ago, DAY, HOUR, writeFakeBackup, type FakeBackupOptions } from '../retention/fixture.js';

function drillRecord(recordsDir: string, finishedAt: Date, outcome: 'ok' | 'failed', runbook = 'drill'): string {
  mkdirSync(recordsDir, { recursive: true, mode: 0o700 });
  const runId = `${compactUtc(finishedAt)}-${Math.random().toString(16).slice(2, 8)}`;
  const file = `${compactUtc(finishedAt)}-${runbook}-${runId}.json`;
  const record = {
    schema: 'obexal-runbook-record@v1',
    runId,
    runbook,
    outcome,
    exitCode: outcome === 'ok' ? 0 : 1,
    startedAt: new Date(finishedAt.getTime() - 20 * 60_000).toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
  writeFileSync(join(recordsDir, file), JSON.stringify(record, null, 2), { mode: 0o600 });
  return file;
}

const line = (output: string, label: string): string =>
  output.split('\n').find((l) => l.startsWith(`${label}:`)) ?? `(no ${label} line in: ${output})`;

describe('status', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  const homes: string[] = [];

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    for (const dir of homes) await rm(dir, { recursive: true, force: true });
  });

  /** A home whose BACKUP_DIR holds one backup, replicated under its own prefix in the bucket. */
  async function setup(backup: FakeBackupOptions, prefix: string) {
    const home = testHome('obexal-status-');
    homes.push(home.dir);
    const backupDir = home.env.BACKUP_DIR as string;
    const b = await writeFakeBackup(backupDir, { verifiedBucket: true, ...backup });
    // A key-era register: without one, status warns (issue 11).
    const era = { label: 'era-1', fingerprint: 'a'.repeat(64), start: ago(30 * DAY).toISOString() };
    await writeLocalRegister(backupDir, addEra(emptyRegister(), era));
    const env = { ...home.env, ...s3.env, S3_PREFIX: prefix };
    const scoped = contextFor(env);
    await uploadFile(scoped, { file: join(backupDir, b.dumpName), name: b.dumpName, sha256: b.sha256 });
    await uploadFile(scoped, { file: join(backupDir, b.manifestName), name: b.manifestName });
    closeS3(scoped);
    return { env, backupDir, recordsDir: join(backupDir, 'records'), backup: b };
  }

  test('a fresh backup and a recent passing drill: exit 0, one plain line each', async () => {
    const { env, recordsDir, backup } = await setup({ takenAt: ago(3 * HOUR + 12 * 60_000) }, 'fresh/');
    drillRecord(recordsDir, ago(10 * DAY), 'ok');
    const result = await runCli(['status'], env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.equal(line(result.stdout, 'backup local'), `backup local: 3h 12m old (limit 26h) ok - ${backup.dumpName}`);
    assert.equal(line(result.stdout, 'backup bucket'), `backup bucket: 3h 12m old (limit 26h) ok - ${backup.dumpName}`);
    assert.match(line(result.stdout, 'drill'), /^drill: 10d 0h old \(limit 92d\) ok - \d{8}T\d{6}Z-drill-.+\.json$/);
    // eslint-disable-next-line no-control-regex -- asserts that no escape code is printed
    assert.doesNotMatch(result.stdout, /\x1b/);
  });

  test('no passing drill record: exit 2, the drill line says MISSING (a failed drill does not count)', async () => {
    const { env, recordsDir } = await setup({ takenAt: ago(HOUR) }, 'nodrill/');
    drillRecord(recordsDir, ago(DAY), 'failed');
    drillRecord(recordsDir, ago(DAY), 'ok', 'backup');
    const result = await runCli(['status'], env);
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'drill'), /^drill: no passing drill record in .*records \(limit 92d\) MISSING$/);
    assert.match(line(result.stdout, 'backup local'), / ok - /);

    // Newer than the failed one: the newest drill run failing is a WARNING of its own since issue 11.
    drillRecord(recordsDir, ago(HOUR), 'ok');
    const fixed = await runCli(['status'], env);
    assert.equal(fixed.exitCode, 0, fixed.stdout + fixed.stderr);
  });

  test('an old backup: exit 1 (WARNING), both backup lines TOO OLD; a drill past DRILL_MAX_AGE too', async () => {
    const { env, recordsDir } = await setup({ takenAt: ago(30 * HOUR) }, 'old/');
    drillRecord(recordsDir, ago(100 * DAY), 'ok');
    const result = await runCli(['status'], env);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'backup local'), /^backup local: 30h 00m old \(limit 26h\) TOO OLD/);
    assert.match(line(result.stdout, 'backup bucket'), /^backup bucket: 30h 00m old \(limit 26h\) TOO OLD/);
    assert.match(line(result.stdout, 'drill'), /^drill: 100d 0h old \(limit 92d\) TOO OLD/);

    const relaxed = await runCli(['status'], { ...env, BACKUP_MAX_AGE: '2d', DRILL_MAX_AGE: '120d' });
    assert.equal(relaxed.exitCode, 0, relaxed.stdout + relaxed.stderr);
  });

  test('only verified backups count, and never a pre-restore dump', async () => {
    const { env, backupDir, recordsDir } = await setup({ takenAt: ago(40 * HOUR) }, 'verified/');
    drillRecord(recordsDir, ago(DAY), 'ok');
    await writeFakeBackup(backupDir, { takenAt: ago(HOUR), verifiedLocal: false });
    await writeFakeBackup(backupDir, { takenAt: ago(2 * HOUR), reason: 'pre-restore' });
    const result = await runCli(['status'], env);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'backup local'), /^backup local: 40h 00m old/);
  });

  test('an unreachable bucket: its line says so and the exit is 3 (UNKNOWN) when nothing is too old', async () => {
    const { env, recordsDir } = await setup({ takenAt: ago(HOUR) }, 'down/');
    drillRecord(recordsDir, ago(DAY), 'ok');
    const result = await runCli(['status'], { ...env, S3_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'backup bucket'), /^backup bucket: could not be checked: .*unreachable.* ERROR$/);
    assert.match(line(result.stdout, 'backup local'), / ok - /);
  });

  test('no bucket configured: reported, and it does not change the exit code', async () => {
    const { env, recordsDir } = await setup({ takenAt: ago(HOUR) }, 'nobucket/');
    drillRecord(recordsDir, ago(DAY), 'ok');
    const result = await runCli(['status'], { ...env, S3_BUCKET: '' });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'backup bucket'), /not configured/);
  });

  test('a limit that is not a duration: exit 3 (UNKNOWN), the reason on stdout where monitoring reads it', async () => {
    const { env } = await setup({ takenAt: ago(HOUR) }, 'usage/');
    const result = await runCli(['status'], { ...env, BACKUP_MAX_AGE: 'soon' });
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.match(result.stdout, /^OBEXAL-RUNBOOK UNKNOWN - BACKUP_MAX_AGE "soon" is not a duration/);
  });
});
