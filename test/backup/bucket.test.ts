/**
 * The backup runbook with a bucket (s3rver over HTTP, the real AWS SDK): the dump, its manifest and the key-era
 * register reach the bucket; a second host with no key and no local register takes its era from the bucket; a
 * bucket that is down costs no local backup, fails the run, and the next run replicates what the bucket lacks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordPathOf, runCli, type CliResult } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  ageIdentity,
  backupHome,
  firstManifest,
  readManifests,
  type TestIdentity,
  removeTempDirs,
  tempDir,
} from './helpers.js';

const cluster = await withCluster();
let s3: StartedS3rver;
let db: SandboxDatabase;
let identity: TestIdentity;
const homes: string[] = [];
const outputs: Record<string, string> = {};

before(async () => {
  s3 = await startS3rver();
  db = await sandboxDatabase(cluster, { prefix: 'bucket_src' });
  identity = ageIdentity(tempDir('obexal-backup-keys-'));
});

after(async () => {
  await s3?.stop();
  try {
    assert.deepEqual(scanForSecrets(homes, [cluster.password, db.encryptionKey, identity.secret], outputs), []);
  } finally {
    removeTempDirs();
  }
});

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function run(name: string, env: Record<string, string>, args = ['backup', '--yes']): Promise<CliResult> {
  const result = await runCli(args, env);
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return result;
}

describe('a backup with a bucket', () => {
  let first: ReturnType<typeof backupHome>;

  it('puts the dump, its manifest and the key-era register in the bucket, the copy with the same SHA-256', async () => {
    first = backupHome(db.url, identity.recipient, { ...s3.env, ENCRYPTION_KEY: db.encryptionKey });
    homes.push(first.dir);
    const result = await run('bucket', first.env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /S3_BUCKET is not set/);
    const manifest = firstManifest(first.backupDir);
    const stored = s3.storedObjectPath(`obexal/${manifest.dump.name}`);
    assert.equal(sha256(stored), manifest.dump.sha256);
    assert.ok(existsSync(s3.storedObjectPath(`obexal/obexal-${manifest.dump.name.slice(7, 23)}.manifest.json`)));
    const register = JSON.parse(readFileSync(s3.storedObjectPath('obexal/key-eras.json'), 'utf8')) as {
      eras: { fingerprint: string }[];
    };
    assert.deepEqual(
      register.eras.map((e) => e.fingerprint),
      [db.era.fingerprint],
    );
    assert.equal(manifest.verified.local, true);
  });

  it('a second host with no ENCRYPTION_KEY and no local register takes the era from the bucket', async () => {
    const second = backupHome(db.url, identity.recipient, { ...s3.env });
    homes.push(second.dir);
    const result = await run('second host', second.env, ['backup']);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /register from the bucket/);
    assert.deepEqual(firstManifest(second.backupDir).keyEras, firstManifest(first.backupDir).keyEras);
    assert.ok(
      existsSync(join(second.backupDir, 'key-eras.json')),
      'the local copy serves when the bucket is out of reach',
    );
  });

  it('a bucket that is down: the local backup is still taken, the run fails; the next run replicates it', async () => {
    const down = { ...first.env, S3_ENDPOINT: `http://127.0.0.1:${await freeLoopbackPort()}` };
    const failed = await run('bucket down', down, ['backup']);
    assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /\+ dump: ok/);
    assert.match(failed.stdout, /\+ manifest: ok/);
    assert.match(failed.stdout, /x replicate: FAILED/);
    const manifests = readManifests(first.backupDir);
    assert.equal(manifests.length, 2);
    const missed = manifests[1]?.manifest.dump.name as string;
    assert.equal(existsSync(s3.storedObjectPath(`obexal/${missed}`)), false);

    assert.match(failed.stdout, /record NOT copied to the bucket: .*\(the next run copies it\)/);
    const missedRecord = basename(recordPathOf(failed.stdout));

    const again = await run('bucket back', first.env, ['backup']);
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    assert.equal(sha256(s3.storedObjectPath(`obexal/${missed}`)), manifests[1]?.manifest.dump.sha256);
    // The failed run's record went up with the next run's, byte for byte.
    assert.equal(sha256(s3.storedObjectPath(`obexal/records/${missedRecord}`)), sha256(recordPathOf(failed.stdout)));
  });
});
