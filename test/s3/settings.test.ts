/** Settings from the environment, the region policy, and the mapping of SDK error codes to typed errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { UsageError } from '../../src/core/errors.js';
import { clearSecretsForTests, redact } from '../../src/core/redact.js';
import { resolveSettings } from '../../src/core/settings.js';
import { S3CredentialsError, S3ObjectNotFoundError, S3RequestError, mapS3Error } from '../../src/s3/errors.js';
import { regionAllowed, regionOfLocationConstraint } from '../../src/s3/region.js';
import { keyFor, nameOf, s3SettingsFromEnv, s3SettingsFromSettings } from '../../src/s3/settings.js';

describe('S3 settings', () => {
  test('defaults', () => {
    assert.deepEqual(s3SettingsFromEnv({ S3_BUCKET: 'obexal-backups' }), {
      bucket: 'obexal-backups',
      prefix: 'obexal/',
      region: 'eu-central-1',
      forcePathStyle: false,
      checksum: 'WHEN_SUPPORTED',
      allowedRegions: ['eu'],
    });
  });

  test('every variable', () => {
    const settings = s3SettingsFromEnv({
      S3_BUCKET: 'b-1',
      S3_PREFIX: '/prod//obexal',
      S3_REGION: 'EU-West-3',
      S3_ENDPOINT: 'https://s3.example.com/',
      S3_FORCE_PATH_STYLE: 'yes',
      S3_CHECKSUM: 'when_required',
      ALLOWED_DATA_REGIONS: ' eu-west-3 , EU-central, eu-west-3',
    });
    assert.deepEqual(settings, {
      bucket: 'b-1',
      prefix: 'prod/obexal/',
      region: 'eu-west-3',
      endpoint: 'https://s3.example.com',
      forcePathStyle: true,
      checksum: 'WHEN_REQUIRED',
      allowedRegions: ['eu-west-3', 'eu-central'],
    });
    assert.equal(s3SettingsFromEnv({ S3_BUCKET: 'b-1', S3_PREFIX: '/' }).prefix, '');
  });

  test('bad values are typed usage errors with a hint', () => {
    const bad: Record<string, string | undefined>[] = [
      {},
      { S3_BUCKET: 's3://bucket/path' },
      { S3_BUCKET: 'a' },
      { S3_BUCKET: 'ok-bucket', S3_ENDPOINT: 'not a url' },
      { S3_BUCKET: 'ok-bucket', S3_ENDPOINT: 'ftp://host' },
      { S3_BUCKET: 'ok-bucket', S3_FORCE_PATH_STYLE: 'maybe' },
      { S3_BUCKET: 'ok-bucket', S3_CHECKSUM: 'ALWAYS' },
      { S3_BUCKET: 'ok-bucket', ALLOWED_DATA_REGIONS: ' , ' },
      { S3_BUCKET: 'ok-bucket', ALLOWED_DATA_REGIONS: 'eu*' },
      { S3_BUCKET: 'ok-bucket', S3_REGION: 'eu central' },
      { S3_BUCKET: 'ok-bucket', S3_PREFIX: 'a/../b' },
    ];
    for (const env of bad) {
      assert.throws(
        () => s3SettingsFromEnv(env),
        (error: unknown) => error instanceof UsageError && typeof error.hint === 'string' && error.hint.length > 0,
        JSON.stringify(env),
      );
    }
  });

  test('an endpoint with credentials is refused without echoing them', () => {
    assert.throws(
      () => s3SettingsFromEnv({ S3_BUCKET: 'ok-bucket', S3_ENDPOINT: 'https://user:hunter2-secret@s3.example.com' }),
      (error: unknown) =>
        error instanceof UsageError && !error.message.includes('hunter2') && !(error.hint ?? '').includes('hunter2'),
    );
  });

  test('the secret access key and session token are registered for redaction, never read otherwise', () => {
    clearSecretsForTests();
    s3SettingsFromEnv({
      S3_BUCKET: 'ok-bucket',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-example-secret',
      AWS_SESSION_TOKEN: 'token-abc-123',
    });
    assert.equal(redact('x wJalrXUtnFEMI-example-secret y token-abc-123'), 'x [redacted] y [redacted]');
    clearSecretsForTests();
  });

  test('from resolved settings: environment, configuration file and defaults', () => {
    clearSecretsForTests();
    const resolved = resolveSettings({
      env: { S3_BUCKET: 'from-env', AWS_SECRET_ACCESS_KEY: 'another-secret-value' },
      file: { S3_REGION: 'eu-north-1', S3_BUCKET: 'from-file' },
      configDir: '/nonexistent',
    });
    const settings = s3SettingsFromSettings(resolved);
    assert.equal(settings.bucket, 'from-env');
    assert.equal(settings.region, 'eu-north-1');
    assert.equal(settings.prefix, 'obexal/');
    assert.equal(redact('another-secret-value'), '[redacted]');
    clearSecretsForTests();
  });

  test('object names live under the prefix', () => {
    const settings = { prefix: 'obexal/' };
    assert.equal(keyFor(settings, 'dumps/a.dump.age'), 'obexal/dumps/a.dump.age');
    assert.equal(nameOf(settings, 'obexal/dumps/a.dump.age'), 'dumps/a.dump.age');
    assert.throws(() => keyFor(settings, '../escape'), UsageError);
    assert.throws(() => keyFor(settings, ''), UsageError);
  });
});

describe('region policy', () => {
  test('prefixes and exact names', () => {
    assert.equal(regionAllowed('eu-central-1', ['eu']), true);
    assert.equal(regionAllowed('eu-west-3', ['eu']), true);
    assert.equal(regionAllowed('europe-west1', ['eu']), false);
    assert.equal(regionAllowed('us-east-1', ['eu']), false);
    assert.equal(regionAllowed('eu-central-1', ['eu-central-1']), true);
    assert.equal(regionAllowed('eu-central-2', ['eu-central-1']), false);
    assert.equal(regionAllowed('eu-central-2', ['eu-central']), true);
    assert.equal(regionAllowed('ca-central-1', ['us', 'ca-central-1']), true);
  });

  test('LocationConstraint answers', () => {
    assert.equal(regionOfLocationConstraint(undefined), undefined);
    assert.equal(regionOfLocationConstraint(null), undefined);
    assert.equal(regionOfLocationConstraint(''), undefined);
    assert.equal(regionOfLocationConstraint('EU'), 'eu-west-1');
    assert.equal(regionOfLocationConstraint('eu-central-1'), 'eu-central-1');
  });
});

describe('SDK error mapping', () => {
  const settings = s3SettingsFromEnv({ S3_BUCKET: 'ok-bucket' });
  const serviceError = (name: string, status: number) =>
    new S3ServiceException({
      name,
      $fault: 'client',
      $metadata: { httpStatusCode: status },
      message: `${name} message`,
    });

  test('signature mismatch and access denied are credential errors with their own hints', () => {
    const signature = mapS3Error(serviceError('SignatureDoesNotMatch', 403), { operation: 'upload', settings });
    assert.ok(signature instanceof S3CredentialsError);
    assert.match(signature.hint ?? '', /AWS_SECRET_ACCESS_KEY/);
    const denied = mapS3Error(serviceError('AccessDenied', 403), { operation: 'upload', settings });
    assert.ok(denied instanceof S3CredentialsError);
    assert.match(denied.hint ?? '', /bucket policy/);
    const expired = mapS3Error(serviceError('ExpiredToken', 400), { operation: 'upload', settings });
    assert.ok(expired instanceof S3CredentialsError);
  });

  test('not found, server errors, and abort pass-through', () => {
    assert.ok(
      mapS3Error(serviceError('NoSuchKey', 404), { operation: 'download', settings, name: 'x' }) instanceof
        S3ObjectNotFoundError,
    );
    const server = mapS3Error(serviceError('InternalError', 500), { operation: 'upload', settings });
    assert.ok(server instanceof S3RequestError);
    assert.equal(server.status, 500);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(mapS3Error(abort, { operation: 'upload', settings }), abort);
  });
});
