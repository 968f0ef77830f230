/** List, JSON put/get, delete round-trip against s3rver, with pagination past one page. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { S3VerificationError } from '../../src/s3/errors.js';
import { deleteObjects, getJson, headObject, listObjects, putJson } from '../../src/s3/objects.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { contextFor, sha256, useEnvCredentials } from './fixture.js';

describe('S3 objects (s3rver)', () => {
  let s3: StartedS3rver;
  let context: S3Context;

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
  });

  test('put, get, list, delete round-trip', async () => {
    const register = { eras: [{ label: 'era-1', fingerprint: 'ab'.repeat(32), start: '2025-01-01T00:00:00Z' }] };
    const put = await putJson(context, 'key-eras.json', register, { metadata: { kind: 'key-era-register' } });
    assert.equal(put.key, 'obexal/key-eras.json');

    const read = await getJson<typeof register>(context, 'key-eras.json');
    assert.deepEqual(read?.value, register);
    assert.equal(read?.size, put.size);

    await putJson(context, 'manifests/obexal-20250101T000000Z.manifest.json', { name: 'a' });
    await putJson(context, 'manifests/obexal-20250102T000000Z.manifest.json', { name: 'b' });
    // Outside the prefix: never listed.
    await context.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'elsewhere/x.json', Body: '{}' }));

    const all = await listObjects(context);
    assert.deepEqual(all.map((o) => o.name).sort(), [
      'key-eras.json',
      'manifests/obexal-20250101T000000Z.manifest.json',
      'manifests/obexal-20250102T000000Z.manifest.json',
    ]);
    assert.ok(all.every((o) => o.size > 0 && o.lastModified instanceof Date && o.metadata === undefined));

    const manifests = await listObjects(context, { under: 'manifests/', withMetadata: true });
    assert.equal(manifests.length, 2);
    for (const m of manifests) assert.match(m.sha256 ?? '', /^[0-9a-f]{64}$/);
    const head = await headObject(context, 'key-eras.json');
    assert.equal(head?.metadata?.['kind'], 'key-era-register');

    const deleted = await deleteObjects(context, ['manifests/obexal-20250101T000000Z.manifest.json', 'key-eras.json'], {
      versioning: { status: 'never-enabled' },
    });
    assert.equal(deleted.versioned, false);
    assert.equal(deleted.note, undefined);
    assert.deepEqual(
      deleted.deleted.map((d) => [d.key, d.deleteMarker]),
      [
        ['obexal/manifests/obexal-20250101T000000Z.manifest.json', false],
        ['obexal/key-eras.json', false],
      ],
    );
    assert.equal(await getJson(context, 'key-eras.json'), undefined);
    assert.deepEqual(
      (await listObjects(context)).map((o) => o.name),
      ['manifests/obexal-20250102T000000Z.manifest.json'],
    );
  });

  test('a delete in a versioned bucket is reported as a marker only', async () => {
    await putJson(context, 'records/r.json', { ok: true });
    const result = await deleteObjects(context, ['records/r.json'], { versioning: { status: 'enabled' } });
    assert.equal(result.versioned, true);
    assert.match(result.note ?? '', /delete marker/);
    const unknown = await deleteObjects(context, ['records/r.json'], { versioning: { status: 'unknown' } });
    assert.match(unknown.note ?? '', /unknown/);
  });

  test('listing follows continuation tokens page after page', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `many/${String(i).padStart(4, '0')}.json`);
    await Promise.all(names.map((n) => putJson(context, n, { n })));
    const listed = await listObjects(context, { under: 'many/', pageSize: 5 });
    assert.deepEqual(listed.map((o) => o.name).sort(), names);
    const withMetadata = await listObjects(context, { under: 'many/', pageSize: 7, withMetadata: true });
    assert.equal(withMetadata.length, names.length);
    assert.ok(withMetadata.every((o) => o.sha256 !== undefined));
  });

  test('a JSON object whose content no longer matches its sha256 metadata is refused', async () => {
    await context.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: 'obexal/tampered.json',
        Body: '{"a":2}\n',
        Metadata: { sha256: sha256('{"a":1}\n') },
      }),
    );
    await assert.rejects(getJson(context, 'tampered.json'), S3VerificationError);
  });
});
