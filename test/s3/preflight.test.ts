/**
 * Preflight against s3rver: reachability, region policy, the typed failures (unreachable endpoint, refused
 * credentials, missing bucket), and what s3rver answers to versioning / lifecycle / Object Lock reads.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { isAbortError } from '../../src/core/errors.js';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import {
  BucketUnreachableError,
  NoSuchBucketError,
  RegionNotAllowedError,
  S3CredentialsError,
} from '../../src/s3/errors.js';
import { checkBucketReachable, inspectBucket } from '../../src/s3/inspect.js';
import { readBucketRegion } from '../../src/s3/region.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, FAST, useEnvCredentials } from './fixture.js';

describe('S3 preflight (s3rver)', () => {
  let s3: StartedS3rver;
  const contexts: S3Context[] = [];
  const open = (env: Record<string, string | undefined>, options = FAST): S3Context => {
    const context = contextFor(env, options);
    contexts.push(context);
    return context;
  };

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
  });
  after(async () => {
    for (const context of contexts) closeS3(context);
    await s3.stop();
  });

  test('inspect: reachable, region from S3_REGION (s3rver reports none), configuration reads never crash', async () => {
    const inspection = await inspectBucket(open(s3.env));
    assert.equal(inspection.bucket, s3.bucket);
    assert.deepEqual(
      { region: inspection.region.region, source: inspection.region.source },
      { region: 'eu-central-1', source: 'configured' },
    );
    assert.match(inspection.region.note ?? '', /did not report the bucket's location.*S3_REGION=eu-central-1/);
    assert.equal(inspection.regionAllowed, true);
    // s3rver 3.7.1: GET ?versioning is answered with a bucket listing (no Status: never enabled), GET ?lifecycle
    // and GET ?object-lock with 501 NotImplemented.
    assert.equal(inspection.versioning.status, 'never-enabled');
    assert.equal(inspection.lifecycle.status, 'unknown');
    assert.match(inspection.lifecycle.note ?? '', /does not implement/);
    assert.equal(inspection.objectLock.status, 'unknown');
    assert.match(inspection.objectLock.note ?? '', /does not implement/);
    assert.ok(inspection.notes.some((n) => n.startsWith('region:')));
  });

  test('a region outside ALLOWED_DATA_REGIONS is refused, naming the region and the list', async () => {
    const usEast = open({ ...s3.env, S3_REGION: 'us-east-1' });
    await assert.rejects(inspectBucket(usEast), (error: unknown) => {
      assert.ok(error instanceof RegionNotAllowedError);
      assert.equal(error.region, 'us-east-1');
      assert.deepEqual(error.allowedRegions, ['eu']);
      assert.match(error.message, /us-east-1/);
      assert.match(error.message, /ALLOWED_DATA_REGIONS=eu/);
      assert.ok(error.hint);
      return true;
    });
    const exact = open({ ...s3.env, ALLOWED_DATA_REGIONS: 'eu-west-1,eu-north' });
    await assert.rejects(
      inspectBucket(exact),
      (error: unknown) => error instanceof RegionNotAllowedError && error.region === 'eu-central-1',
    );
    // Reported, not refused, when the caller only wants to look.
    const looked = await inspectBucket(usEast, { enforceRegion: false });
    assert.equal(looked.regionAllowed, false);
    assert.equal(
      (await readBucketRegion(open({ ...s3.env, ALLOWED_DATA_REGIONS: 'eu-central' }))).region,
      'eu-central-1',
    );
  });

  test('an unreachable endpoint (closed port) gives the typed unreachable error', async () => {
    const port = await closedPort();
    const context = open({ ...s3.env, S3_ENDPOINT: `http://127.0.0.1:${port}` });
    await assert.rejects(inspectBucket(context), (error: unknown) => {
      assert.ok(error instanceof BucketUnreachableError, String(error));
      assert.equal(error.kind, 'unreachable');
      assert.equal(error.code, 'ECONNREFUSED');
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(error.hint ?? '', /S3_ENDPOINT/);
      return true;
    });
  });

  test('an endpoint that accepts connections but never answers gives the typed unreachable error', async () => {
    const held: Socket[] = [];
    const server = createServer((socket) => held.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const context = open(
        { ...s3.env, S3_ENDPOINT: `http://127.0.0.1:${port}` },
        { ...FAST, maxAttempts: 1, socketTimeoutMs: 300 },
      );
      await assert.rejects(checkBucketReachable(context), (error: unknown) => {
        assert.ok(error instanceof BucketUnreachableError, String(error));
        assert.equal(error.code, 'TIMEOUT');
        assert.match(error.message, /did not answer in time/);
        return true;
      });
    } finally {
      for (const socket of held) socket.destroy();
      server.close();
    }
  });

  test('an unknown access key id is refused with the typed credentials error', async () => {
    const context = open(s3.env, { ...FAST, credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: 'S3RVER' } });
    await assert.rejects(checkBucketReachable(context), (error: unknown) => {
      assert.ok(error instanceof S3CredentialsError, String(error));
      assert.equal(error.code, 'InvalidAccessKeyId');
      assert.match(error.hint ?? '', /AWS_ACCESS_KEY_ID/);
      return true;
    });
  });

  test('credentials through the default chain: a wrong key id in the environment is refused', async () => {
    const saved = process.env['AWS_ACCESS_KEY_ID'];
    process.env['AWS_ACCESS_KEY_ID'] = 'WRONG-KEY-ID';
    try {
      await assert.rejects(checkBucketReachable(open(s3.env)), S3CredentialsError);
    } finally {
      process.env['AWS_ACCESS_KEY_ID'] = saved;
    }
    await checkBucketReachable(open(s3.env));
  });

  test('s3rver does not verify SigV4 signatures: a wrong secret key is accepted (limitation of the stand-in)', async () => {
    // If this starts failing, s3rver began checking signatures: turn it into a SignatureDoesNotMatch test.
    const context = open(s3.env, {
      ...FAST,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' },
    });
    const answer = await context.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, MaxKeys: 1 }));
    assert.equal(answer.$metadata.httpStatusCode, 200);
  });

  test('a missing bucket gives the typed no-such-bucket error', async () => {
    await assert.rejects(inspectBucket(open({ ...s3.env, S3_BUCKET: 'no-such-bucket' })), (error: unknown) => {
      assert.ok(error instanceof NoSuchBucketError, String(error));
      assert.match(error.message, /no-such-bucket/);
      assert.ok(error.hint);
      return true;
    });
  });

  test('an aborted signal stops the preflight as an abort, not a failure', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(inspectBucket(open(s3.env), { signal: controller.signal }), (error: unknown) =>
      isAbortError(error),
    );
  });
});
