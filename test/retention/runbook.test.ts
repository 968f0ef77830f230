/**
 * The `retention` runbook through the real executable, headless, against s3rver: report by default, apply
 * behind its gate, hold (local and bucket) that stops the next apply, release; RETENTION_DAYS validated.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { getJson, headObject } from '../../src/s3/objects.js';
import { uploadFile } from '../../src/s3/upload.js';
import { HOLD_FILE_NAME, type Hold } from '../../src/backup/hold.js';
import { runCli, testHome } from '../helpers/cli.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { contextFor, useEnvCredentials } from '../s3/fixture.js';
import { ago, DAY, HOUR, writeFakeBackup, type FakeBackup } from './fixture.js';

describe('the retention runbook', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  const home = testHome('obexal-retention-cli-');
  const backupDir = home.env.BACKUP_DIR as string;
  let old: FakeBackup;
  let newest: FakeBackup;

  const env = (extra: Record<string, string> = {}) => ({ ...home.env, ...s3.env, RETENTION_DAYS: '14', ...extra });
  const answers = (values: Record<string, string>): string => {
    const file = join(home.dir, `answers-${Object.values(values).join('-').replace(/\W/g, '')}.yaml`);
    writeFileSync(
      file,
      Object.entries(values)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n'),
    );
    return file;
  };

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
    old = await writeFakeBackup(backupDir, { takenAt: ago(30 * DAY), verifiedBucket: true });
    newest = await writeFakeBackup(backupDir, { takenAt: ago(HOUR), verifiedBucket: true });
    for (const b of [old, newest]) {
      await uploadFile(context, { file: join(backupDir, b.dumpName), name: b.dumpName, sha256: b.sha256 });
      await uploadFile(context, { file: join(backupDir, b.manifestName), name: b.manifestName });
    }
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    await rm(home.dir, { recursive: true, force: true });
  });

  test('without a mode it only reports: what exists where, until when, what the next prune removes', async () => {
    const result = await runCli(['retention'], env());
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`local  ${old.dumpName}  30d 0h old  scheduled  PRUNE: older than 14 days`));
    assert.match(result.stdout, new RegExp(`bucket ${newest.dumpName} .*keep: newest verified backup`));
    assert.match(result.stdout, /the next prune removes 1 local and 1 bucket backup/);
    assert.ok(existsSync(join(backupDir, old.dumpName)));
  });

  test('apply needs its gate headless (exit 3, nothing changed)', async () => {
    const result = await runCli(['retention', '--answers', answers({ mode: 'apply' })], env());
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.match(result.stdout, /gate-prune/);
    assert.ok(existsSync(join(backupDir, old.dumpName)));
  });

  test('a hold placed with the runbook is written locally and in the bucket, and stops the next apply', async () => {
    const held = await runCli(
      ['retention', '--answers', answers({ mode: 'hold', 'hold-reason': 'INC-99 suspected breach' })],
      env(),
    );
    assert.equal(held.exitCode, 0, held.stdout + held.stderr);
    const local = JSON.parse(readFileSync(join(backupDir, HOLD_FILE_NAME), 'utf8')) as Hold;
    assert.equal(local.reason, 'INC-99 suspected breach');
    assert.match(local.by, /@/);
    assert.equal((await getJson<Hold>(context, HOLD_FILE_NAME))?.value.reason, 'INC-99 suspected breach');

    const apply = await runCli(['retention', '--yes', '--answers', answers({ mode: 'apply' })], env());
    assert.equal(apply.exitCode, 0, apply.stdout + apply.stderr);
    assert.match(apply.stdout, /hold active since .*INC-99 suspected breach.*nothing pruned/);
    assert.ok(existsSync(join(backupDir, old.dumpName)));
    assert.ok(await headObject(context, old.dumpName));

    const status = await runCli(['status'], env());
    assert.match(
      status.stdout + status.stderr,
      /retention hold: active since .* \(local\): INC-99 suspected breach; nothing is pruned/,
    );
  });

  test('release, then apply prunes the old backup in both places and keeps the newest', async () => {
    const released = await runCli(['retention', '--answers', answers({ mode: 'release' })], env());
    assert.equal(released.exitCode, 0, released.stdout + released.stderr);
    assert.ok(!existsSync(join(backupDir, HOLD_FILE_NAME)));
    assert.equal(await headObject(context, HOLD_FILE_NAME), undefined);

    const apply = await runCli(['retention', '--yes', '--answers', answers({ mode: 'apply' })], env());
    assert.equal(apply.exitCode, 0, apply.stdout + apply.stderr);
    assert.match(apply.stdout, new RegExp(`will prune: local  ${old.dumpName}`));
    assert.match(apply.stdout, new RegExp(`pruned bucket ${old.manifestName}`));
    assert.ok(!existsSync(join(backupDir, old.dumpName)) && !existsSync(join(backupDir, old.manifestName)));
    assert.equal(await headObject(context, old.dumpName), undefined);
    assert.ok(existsSync(join(backupDir, newest.dumpName)));
    assert.ok(await headObject(context, newest.dumpName));
  });

  test('RETENTION_DAYS that is not a positive whole number is a usage error (exit 2)', async () => {
    for (const bad of ['0', 'abc', '-1']) {
      const result = await runCli(['retention'], env({ RETENTION_DAYS: bad }));
      assert.equal(result.exitCode, 2, `${bad}: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /RETENTION_DAYS .* is not a positive whole number of days/);
    }
  });
});
