/**
 * The region check gates every upload (issue 17 item 5): with a bucket whose region ALLOWED_DATA_REGIONS refuses,
 * the key-era register and the records were uploaded anyway (only the dumps were held back). Here every upload
 * primitive is refused, and a real backup run leaves nothing in the bucket while its local dump is complete.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeBucketRegister } from '../../src/eras/store.js';
import { addEra, emptyRegister } from '../../src/eras/register.js';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { RegionNotAllowedError } from '../../src/s3/errors.js';
import { putJson } from '../../src/s3/objects.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { uploadFile } from '../../src/s3/upload.js';
import { runCli } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { ageIdentity, backupFiles, backupHome, removeTempDirs, tempDir } from '../backup/helpers.js';
import { contextFor, useEnvCredentials } from './fixture.js';

/** s3rver reports no location: the region is S3_REGION (eu-central-1), which this list does not allow. */
const REFUSING = { ALLOWED_DATA_REGIONS: 'eu-west-1' };

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => relative(dir, join(dir, name)))
    .filter((name) => !name.includes('.dummy'));
}

const refusal = (error: unknown) =>
  error instanceof RegionNotAllowedError &&
  /region eu-central-1 .*which ALLOWED_DATA_REGIONS=eu-west-1 does not allow/.test(error.message);

describe('one region gate in front of every upload', () => {
  let s3: StartedS3rver;
  const contexts: S3Context[] = [];
  const refused = (prefix: string): S3Context => {
    const context = contextFor({ ...s3.env, ...REFUSING, S3_PREFIX: prefix });
    contexts.push(context);
    return context;
  };

  before(async () => {
    s3 = await startS3rver({ bucket: 'region-gate' });
    useEnvCredentials(s3.env);
  });
  after(async () => {
    for (const context of contexts) closeS3(context);
    await s3.stop();
    removeTempDirs();
  });

  it('putJson, uploadFile and the key-era register are refused before any request writes', async () => {
    const file = join(tempDir('obexal-region-'), 'object.bin');
    writeFileSync(file, 'not for this region');
    await assert.rejects(putJson(refused('unit/'), 'doc.json', { a: 1 }), refusal);
    await assert.rejects(uploadFile(refused('unit/'), { file, name: 'object.bin' }), refusal);
    const register = addEra(emptyRegister(), { label: 'era-1', fingerprint: 'a'.repeat(64) });
    await assert.rejects(
      writeBucketRegister(s3SettingsFromEnv({ ...s3.env, ...REFUSING, S3_PREFIX: 'unit/' }), register),
      refusal,
    );
    assert.deepEqual(
      filesUnder(s3.directory).filter((n) => n.includes('unit')),
      [],
    );
  });

  it('the same uploads go through when the region is allowed (the gate can pass)', async () => {
    const allowed = contextFor({ ...s3.env, S3_PREFIX: 'allowed/' });
    contexts.push(allowed);
    await putJson(allowed, 'doc.json', { a: 1 });
    assert.ok(existsSync(s3.storedObjectPath('allowed/doc.json')));
  });

  describe('a backup run against a bucket in a refused region', () => {
    let db: SandboxDatabase;
    const cluster = withCluster();

    before(async () => {
      db = await sandboxDatabase(await cluster, { prefix: 'region_gate', size: { users: 10, auditEvents: 50 } });
    });

    it('keeps its complete local dump, fails, and leaves no register, dump, manifest or record in the bucket', async () => {
      const identity = ageIdentity(tempDir('obexal-region-keys-'));
      const home = backupHome(db.url, identity.recipient, {
        ...s3.env,
        ...REFUSING,
        S3_PREFIX: 'run/',
        ENCRYPTION_KEY: db.encryptionKey,
      });
      const result = await runCli(['backup'], home.env, { timeoutMs: 300_000 });
      const output = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.exitCode, 1, output);
      assert.match(output, /which ALLOWED_DATA_REGIONS=eu-west-1 does not allow/);
      assert.ok(
        backupFiles(home.backupDir).some((n) => n.endsWith('.dump.zst.age')),
        'the local backup is taken',
      );
      assert.ok(existsSync(join(home.backupDir, 'key-eras.json')), 'the register is kept locally');
      assert.deepEqual(
        filesUnder(s3.directory).filter((n) => n.includes('run')),
        [],
        'nothing reached the refused bucket',
      );
    });
  });
});
