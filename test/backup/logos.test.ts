/**
 * The optional tenant-logos mirror: a second s3rver stands in for Obexal's MinIO. A backup with LOGOS_S3_BUCKET
 * copies every logo into `<S3_PREFIX>tenant-logos/` of the backup bucket, byte for byte; the next run copies only
 * what changed; a logo deleted at the source stays in the mirror; a MinIO that is down fails the run at the end
 * without costing the database backup.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { ageIdentity, backupHome, readManifests, removeTempDirs, tempDir } from './helpers.js';

const cluster = await withCluster();
let backups: StartedS3rver;
let minio: StartedS3rver;
let db: SandboxDatabase;
let minioClient: S3Client;
let env: Record<string, string>;
let backupDir: string;

const logos: Record<string, Buffer> = {
  'acme/logo.png': Buffer.from('\x89PNG acme logo '.repeat(500)),
  'globex/logo.svg': Buffer.from('<svg>globex</svg>'),
};

async function putLogo(key: string, body: Buffer): Promise<void> {
  await minioClient.send(
    new PutObjectCommand({ Bucket: 'tenant-logos', Key: key, Body: body, ContentLength: body.length }),
  );
}

before(async () => {
  backups = await startS3rver();
  minio = await startS3rver({ bucket: 'tenant-logos', region: 'us-east-1' });
  minioClient = new S3Client({
    endpoint: minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY },
  });
  for (const [key, body] of Object.entries(logos)) await putLogo(key, body);
  db = await sandboxDatabase(cluster, { prefix: 'logos_src' });
  const identity = ageIdentity(tempDir('obexal-logos-keys-'));
  const home = backupHome(db.url, identity.recipient, {
    ...backups.env,
    ENCRYPTION_KEY: db.encryptionKey,
    LOGOS_S3_BUCKET: 'tenant-logos',
    LOGOS_S3_ENDPOINT: minio.endpoint,
    LOGOS_S3_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID,
    LOGOS_S3_SECRET_ACCESS_KEY: S3RVER_SECRET_ACCESS_KEY,
  });
  env = home.env;
  backupDir = home.backupDir;
});

after(async () => {
  minioClient?.destroy();
  await backups?.stop();
  await minio?.stop();
  removeTempDirs();
});

function mirrored(key: string): Buffer {
  return readFileSync(backups.storedObjectPath(`obexal/tenant-logos/${key}`));
}

describe('the tenant-logos mirror', () => {
  it('copies every logo into the backup bucket, byte for byte, beside the database backup', async () => {
    const result = await runCli(['backup', '--yes'], env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /\+ logos: ok .*2 logo object\(s\).*2 copied/);
    for (const [key, body] of Object.entries(logos)) assert.deepEqual(mirrored(key), body);
    assert.equal(readManifests(backupDir).length, 1);
  });

  it('copies only what changed on the next run, and keeps a logo deleted at the source', async () => {
    const changed = Buffer.from('<svg>globex, new colours</svg>');
    await putLogo('globex/logo.svg', changed);
    await minioClient.send(new DeleteObjectCommand({ Bucket: 'tenant-logos', Key: 'acme/logo.png' }));
    const result = await runCli(['backup', '--yes'], env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 logo object\(s\).*1 copied.*0 unchanged/);
    assert.match(result.stdout, /1 object\(s\) in the mirror are no longer in the source: kept/);
    assert.deepEqual(mirrored('globex/logo.svg'), changed);
    assert.deepEqual(mirrored('acme/logo.png'), logos['acme/logo.png']);
  });

  it('a MinIO that is down: the database backup is still taken and replicated, the run fails naming the logos', async () => {
    const result = await runCli(['backup', '--yes'], { ...env, LOGOS_S3_ENDPOINT: 'http://127.0.0.1:9' });
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /\+ replicate: ok/);
    assert.match(result.stdout, /x logos: FAILED.*cannot read the tenant logos in s3:\/\/tenant-logos/);
    assert.match(result.stdout + result.stderr, /LOGOS_S3_ENDPOINT/);
    assert.match(result.stdout, /\+ retention: ok/);
    assert.equal(readManifests(backupDir).length, 3);
  });
});
