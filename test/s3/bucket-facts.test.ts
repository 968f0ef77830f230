/**
 * The bucket preflight's stored configuration facts (src/s3/bucket-facts.ts, src/bucket/preflight-check.ts) against
 * s3rver: stored by a full inspection, used by the next preflight (which still lists the bucket), not used when
 * expired or when their region is no longer allowed, forgotten when the bucket stops answering; the check started
 * early hands its outcome, or its failure, to the bucket step. And through the CLI: a bucket deleted between two
 * runs fails the second run clearly although its facts were stored.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { isAbortError } from '../../src/core/errors.js';
import { bucketPreflight, startBucketPreflight } from '../../src/bucket/preflight-check.js';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { NoSuchBucketError } from '../../src/s3/errors.js';
import { bucketFactsKey, bucketFactsPath, readBucketFacts } from '../../src/s3/bucket-facts.js';
import { s3SettingsFromEnv, type S3Settings } from '../../src/s3/settings.js';
import { runCli, testHome } from '../helpers/cli.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { contextFor, tempDir, useEnvCredentials } from './fixture.js';

type FactsFile = { version: 1; buckets: Record<string, Record<string, unknown>> };

function readFacts(configDir: string): FactsFile {
  return JSON.parse(readFileSync(bucketFactsPath(configDir), 'utf8')) as FactsFile;
}

function changeFacts(configDir: string, settings: S3Settings, change: (facts: Record<string, unknown>) => void): void {
  const file = readFacts(configDir);
  const facts = file.buckets[bucketFactsKey(settings)];
  assert.ok(facts, 'facts stored for this bucket');
  change(facts);
  writeFileSync(bucketFactsPath(configDir), JSON.stringify(file));
}

/** Empties the bucket (the CLI's runs copied their records there) and deletes it. */
async function deleteBucket(context: S3Context, bucket: string): Promise<void> {
  const listed = await context.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const object of listed.Contents ?? []) {
    await context.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
  }
  await context.client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

describe('bucket preflight with stored facts (s3rver)', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  let settings: S3Settings;
  const dirs: { remove(): Promise<void> }[] = [];
  const configDir = async () => {
    const dir = await tempDir();
    dirs.push(dir);
    return join(dir.dir, 'config');
  };

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
    settings = s3SettingsFromEnv(s3.env);
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    for (const dir of dirs) await dir.remove();
  });

  test('a full inspection stores the facts (0600); the next preflight uses them and still lists the bucket', async () => {
    const dir = await configDir();
    const first = await bucketPreflight(settings, dir, new AbortController().signal);
    assert.equal(first.factsReadAt, undefined);
    assert.equal(first.inspection.versioning.status, 'never-enabled');
    assert.equal(statSync(bucketFactsPath(dir)).mode & 0o777, 0o600);
    assert.ok(await readBucketFacts(dir, settings, new Date()));

    // s3rver never reports versioning as enabled: seeing it proves the stored facts were used.
    changeFacts(dir, settings, (facts) => (facts.versioning = { status: 'enabled' }));
    const second = await bucketPreflight(settings, dir, new AbortController().signal);
    assert.ok(second.factsReadAt);
    assert.equal(second.inspection.versioning.status, 'enabled');
    assert.match(second.inspection.notes.join('\n'), /the bucket is versioned/);
  });

  test('expired facts, and facts whose region is no longer allowed, are read again and stored afresh', async () => {
    const dir = await configDir();
    await bucketPreflight(settings, dir, new AbortController().signal);
    const old = new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString();
    changeFacts(dir, settings, (facts) => {
      facts.readAt = old;
      facts.versioning = { status: 'enabled' };
    });
    const expired = await bucketPreflight(settings, dir, new AbortController().signal);
    assert.equal(expired.factsReadAt, undefined);
    assert.equal(expired.inspection.versioning.status, 'never-enabled');
    assert.notEqual((await readBucketFacts(dir, settings, new Date()))?.readAt, old);

    changeFacts(dir, settings, (facts) => (facts.region = { region: 'us-east-1', source: 'bucket' }));
    const moved = await bucketPreflight(settings, dir, new AbortController().signal);
    assert.equal(moved.factsReadAt, undefined);
    assert.equal(moved.inspection.region.region, settings.region);
  });

  test('a bucket that no longer exists fails the preflight with the typed error and its facts are dropped', async () => {
    const dir = await configDir();
    const vanishing = { ...settings, bucket: 'vanishing-bucket' };
    await context.client.send(new CreateBucketCommand({ Bucket: vanishing.bucket }));
    await bucketPreflight(vanishing, dir, new AbortController().signal);
    await bucketPreflight(settings, dir, new AbortController().signal);
    assert.ok(await readBucketFacts(dir, vanishing, new Date()));
    await context.client.send(new DeleteBucketCommand({ Bucket: vanishing.bucket }));

    await assert.rejects(bucketPreflight(vanishing, dir, new AbortController().signal), NoSuchBucketError);
    assert.equal(await readBucketFacts(dir, vanishing, new Date()), undefined);
    assert.ok(await readBucketFacts(dir, settings, new Date()), "the other bucket's facts stay");
  });

  test('a check started early hands over its failure; a cancelled one leaves the step to check by itself', async () => {
    const dir = await configDir();
    const missing = { ...settings, bucket: 'never-created-bucket' };
    const preflightSignal = new AbortController();
    startBucketPreflight(missing, dir, preflightSignal.signal).release();
    await assert.rejects(bucketPreflight(missing, dir, new AbortController().signal), NoSuchBucketError);

    const cancelled = startBucketPreflight(settings, dir, preflightSignal.signal);
    cancelled.cancel();
    const own = await bucketPreflight(settings, dir, new AbortController().signal);
    assert.equal(own.inspection.bucket, settings.bucket);

    const interrupted = new AbortController();
    startBucketPreflight(settings, dir, interrupted.signal);
    interrupted.abort();
    await assert.rejects(bucketPreflight(settings, dir, new AbortController().signal), (error: unknown) =>
      isAbortError(error),
    );
  });

  test('CLI: the second run reports the earlier facts; a bucket deleted since fails the run clearly', async () => {
    const home = testHome('obexal-bucket-facts-');
    const runbook = join(home.dir, 'preflight.yaml');
    writeFileSync(
      runbook,
      'name: preflight-only\ntitle: Preflight\nsteps:\n  - id: bucket\n    title: Check the bucket\n' +
        '    action: bucket.preflight\n',
    );
    const env = { ...home.env, ...s3.env, S3_BUCKET: 'deleted-between-runs' };
    await context.client.send(new CreateBucketCommand({ Bucket: env.S3_BUCKET }));
    const first = await runCli([runbook], env);
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.doesNotMatch(first.stdout, /by an earlier run/);
    const second = await runCli([runbook], env);
    assert.equal(second.exitCode, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /configuration as read at \S+ by an earlier run/);

    await deleteBucket(context, env.S3_BUCKET);
    const third = await runCli([runbook], env);
    assert.equal(third.exitCode, 1, third.stdout + third.stderr);
    assert.match(third.stdout, /deleted-between-runs/);
    assert.match(third.stdout, /does not exist|no such bucket|NoSuchBucket/i);
    const configDir = home.env.OBEXAL_RUNBOOK_CONFIG_DIR as string;
    assert.ok(
      !existsSync(bucketFactsPath(configDir)) ||
        !readFileSync(bucketFactsPath(configDir), 'utf8').includes(env.S3_BUCKET),
    );
  });
});
