/**
 * The bucket steps through the real executable, headless, as cron runs them: replication with the bucket down
 * (exit 1, the "kept" message, local files intact) then back (caught up), and a region outside the allowed list
 * refused with the region and the list.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { headObject } from '../../src/s3/objects.js';
import { runCli, testHome } from '../helpers/cli.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, useEnvCredentials } from '../s3/fixture.js';
import { ago, HOUR, readManifest, writeFakeBackup } from '../retention/fixture.js';

describe('bucket steps from the command line', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  const home = testHome('obexal-replicate-cli-');
  const runbook = join(home.dir, 'replicate.yaml');
  const preflightRunbook = join(home.dir, 'preflight.yaml');

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
    writeFileSync(
      runbook,
      'name: replicate-only\ntitle: Replicate\nsteps:\n  - id: replicate\n    title: Replicate to the bucket\n    action: bucket.replicate\n',
    );
    writeFileSync(
      preflightRunbook,
      'name: preflight-only\ntitle: Preflight\nsteps:\n  - id: bucket\n    title: Check the bucket\n    action: bucket.preflight\n',
    );
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    await rm(home.dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({ ...home.env, ...s3.env, ...extra });

  test('bucket down: exit 1, the local dump is named as kept; back up: the next run replicates it', async () => {
    const backupDir = home.env.BACKUP_DIR as string;
    const b = await writeFakeBackup(backupDir, { takenAt: ago(HOUR) });
    const down = await runCli([runbook], env({ S3_ENDPOINT: `http://127.0.0.1:${await closedPort()}` }));
    assert.equal(down.exitCode, 1, down.stdout + down.stderr);
    assert.match(
      down.stdout,
      new RegExp(`the local dump ${b.dumpName.replace(/\./g, '\\.')} is complete and kept; the next run replicates it`),
    );
    // eslint-disable-next-line no-control-regex -- asserts that no escape code is printed
    assert.doesNotMatch(down.stdout + down.stderr, /S3RVER_SECRET|\x1b/);
    assert.ok(existsSync(join(backupDir, b.dumpName)));
    assert.equal((await readManifest(backupDir, b.manifestName)).verified.bucket, false);

    const up = await runCli([runbook], env());
    assert.equal(up.exitCode, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /1 uploaded/);
    assert.equal((await headObject(context, b.dumpName))?.sha256, b.sha256);
    assert.equal((await readManifest(backupDir, b.manifestName)).verified.bucket, true);
  });

  test('a bucket outside ALLOWED_DATA_REGIONS is refused with its region and the allowed list (exit 1)', async () => {
    const refused = await runCli([preflightRunbook], env({ ALLOWED_DATA_REGIONS: 'us,ca-central-1' }));
    assert.equal(refused.exitCode, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /region eu-central-1/);
    assert.match(refused.stdout, /ALLOWED_DATA_REGIONS=us,ca-central-1/);

    const allowed = await runCli([preflightRunbook], env());
    assert.equal(allowed.exitCode, 0, allowed.stdout + allowed.stderr);
    assert.match(allowed.stdout, /versioning: \S+; Object Lock: \S+/);
  });

  test('RETENTION_DAYS that is not a positive number stops replication as a usage error (exit 2)', async () => {
    const result = await runCli([runbook], env({ RETENTION_DAYS: 'fourteen' }));
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /RETENTION_DAYS "fourteen" is not a positive whole number/);
  });
});
