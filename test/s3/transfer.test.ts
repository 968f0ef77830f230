/**
 * Upload, verify and download against s3rver over HTTP with the real SDK. The 40 MB file goes up in three
 * multipart parts; what s3rver stored on disk must hash to the local SHA-256 (the CRC32 chunk-framing trap of
 * MEASURED.md would add framing bytes to the object).
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { isAbortError } from '../../src/core/errors.js';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { downloadToFile, openObjectStream } from '../../src/s3/download.js';
import { S3ObjectNotFoundError, S3VerificationError } from '../../src/s3/errors.js';
import { sha256OfFile } from '../../src/s3/hash.js';
import { headObject, listObjects } from '../../src/s3/objects.js';
import { UPLOAD_PART_SIZE, uploadFile, type UploadProgress } from '../../src/s3/upload.js';
import { verifyStoredObject } from '../../src/s3/verify.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { contextFor, sha256, tempDir, useEnvCredentials, writeRandomFile } from './fixture.js';

const BIG = 20 * 1024 * 1024 + 12_345; // three parts of 8 MiB (the last one short)

describe('S3 transfer (s3rver)', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  let work: { dir: string; remove(): Promise<void> };
  let bigFile: string;
  let bigSha: string;

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
    work = await tempDir();
    bigFile = join(work.dir, 'big.dump.age');
    bigSha = await writeRandomFile(bigFile, BIG);
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    await work.remove();
  });

  test('a 40 MB file goes up multipart; the stored bytes hash to the local SHA-256', async () => {
    const progress: UploadProgress[] = [];
    const result = await uploadFile(context, {
      file: bigFile,
      name: 'dumps/big.dump.age',
      metadata: { 'dump-name': 'big.dump.age' },
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.key, 'obexal/dumps/big.dump.age');
    assert.equal(result.size, BIG);
    assert.equal(result.sha256, bigSha);
    // Multipart: one progress report per part (3) plus the final one; the total is the file size.
    assert.ok(progress.length >= Math.ceil(BIG / UPLOAD_PART_SIZE), `progress reports: ${progress.length}`);
    assert.ok(progress.every((p) => p.total === BIG));
    assert.deepEqual(progress.at(-1), { done: BIG, total: BIG });

    // What s3rver wrote to its disk, read without the SDK.
    const storedPath = s3.storedObjectPath(result.key);
    assert.equal((await stat(storedPath)).size, BIG);
    assert.equal((await sha256OfFile(storedPath)).sha256, bigSha);

    const head = await headObject(context, 'dumps/big.dump.age');
    assert.equal(head?.sha256, bigSha);
    assert.equal(head?.metadata?.['dump-name'], 'big.dump.age');
  });

  test('the stored-bytes check catches the chunk-framing trap (plain PutObject of a stream, WHEN_SUPPORTED)', async () => {
    // Proves that the check above can fail: this is the corruption MEASURED.md describes, which the upload
    // module avoids (lib-storage sends each part as a buffer, its checksum in a header, not in aws-chunked framing).
    const trapped = contextFor({ ...s3.env, S3_CHECKSUM: 'WHEN_SUPPORTED' });
    try {
      await trapped.client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: 'obexal/trap.bin',
          Body: createReadStream(bigFile),
          ContentLength: BIG,
        }),
      );
      const stored = await sha256OfFile(s3.storedObjectPath('obexal/trap.bin'));
      assert.notEqual(stored.sha256, bigSha);
      assert.ok(stored.size > BIG, `stored ${stored.size} bytes for ${BIG}`);
    } finally {
      closeS3(trapped);
    }
  });

  test('verify succeeds, quick and full', async () => {
    const quick = await verifyStoredObject(context, 'dumps/big.dump.age', { size: BIG, sha256: bigSha });
    assert.equal(quick.contentVerified, false);
    const full = await verifyStoredObject(context, 'dumps/big.dump.age', { size: BIG, sha256: bigSha }, { full: true });
    assert.equal(full.contentVerified, true);
  });

  test('download streams to a 0600 file and checks the SHA-256', async () => {
    const target = join(work.dir, 'fetched.dump.age');
    const result = await downloadToFile(context, 'dumps/big.dump.age', target, { expectedSha256: bigSha });
    assert.equal(result.sha256, bigSha);
    assert.equal(result.verifiedAgainst, 'expected');
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.equal((await sha256OfFile(target)).sha256, bigSha);

    const viaMetadata = await downloadToFile(context, 'dumps/big.dump.age', join(work.dir, 'again.dump.age'));
    assert.equal(viaMetadata.verifiedAgainst, 'metadata');
  });

  test('download with a wrong expected SHA-256 fails typed and leaves no file', async () => {
    const target = join(work.dir, 'wrong.dump.age');
    await assert.rejects(
      downloadToFile(context, 'dumps/big.dump.age', target, { expectedSha256: 'a'.repeat(64) }),
      (error: unknown) =>
        error instanceof S3VerificationError && error.field === 'content-sha256' && error.actual === bigSha,
    );
    await assert.rejects(stat(target), { code: 'ENOENT' });
    await assert.rejects(stat(`${target}.partial`), { code: 'ENOENT' });
  });

  test('openObjectStream gives a Readable of the content', async () => {
    const object = await openObjectStream(context, 'dumps/big.dump.age');
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    assert.equal(object.size, BIG);
    assert.equal(sha256(Buffer.concat(chunks)), bigSha);
  });

  test('verify fails typed once the object is replaced with other bytes', async () => {
    const original = await readFile(bigFile);
    const small = original.subarray(0, 1024 * 1024);
    await uploadFile(context, { file: await writeTemp(work.dir, 'small.bin', small), name: 'dumps/replaced.bin' });
    const expected = { size: small.length, sha256: sha256(small) };
    await verifyStoredObject(context, 'dumps/replaced.bin', expected, { full: true });

    // Same size, same metadata, different bytes: only the full verification sees it.
    const tampered = Buffer.from(small);
    tampered[1000] = tampered[1000]! ^ 0xff;
    await context.client.send(
      new PutObjectCommand({
        Bucket: context.settings.bucket,
        Key: 'obexal/dumps/replaced.bin',
        Body: tampered,
        Metadata: { sha256: expected.sha256 },
      }),
    );
    await verifyStoredObject(context, 'dumps/replaced.bin', expected); // metadata still agrees
    await assert.rejects(
      verifyStoredObject(context, 'dumps/replaced.bin', expected, { full: true }),
      (error: unknown) =>
        error instanceof S3VerificationError && error.field === 'content-sha256' && error.actual === sha256(tampered),
    );
    await assert.rejects(
      downloadToFile(context, 'dumps/replaced.bin', join(work.dir, 'replaced.bin')),
      (error: unknown) => error instanceof S3VerificationError && error.field === 'content-sha256',
    );

    // Other size and other metadata: the quick verification sees it.
    await context.client.send(
      new PutObjectCommand({
        Bucket: context.settings.bucket,
        Key: 'obexal/dumps/replaced.bin',
        Body: Buffer.from('short'),
      }),
    );
    await assert.rejects(
      verifyStoredObject(context, 'dumps/replaced.bin', expected),
      (error: unknown) => error instanceof S3VerificationError && error.field === 'size',
    );
    await context.client.send(
      new PutObjectCommand({
        Bucket: context.settings.bucket,
        Key: 'obexal/dumps/replaced.bin',
        Body: tampered,
        Metadata: { sha256: sha256(tampered) },
      }),
    );
    await assert.rejects(
      verifyStoredObject(context, 'dumps/replaced.bin', expected),
      (error: unknown) => error instanceof S3VerificationError && error.field === 'sha256-metadata',
    );
  });

  test('an empty file and a single-part file go up and verify in full', async () => {
    const empty = await writeTemp(work.dir, 'empty.bin', Buffer.alloc(0));
    const up = await uploadFile(context, { file: empty, name: 'dumps/empty.bin' });
    assert.equal(up.size, 0);
    await verifyStoredObject(context, 'dumps/empty.bin', { size: 0, sha256: sha256(Buffer.alloc(0)) }, { full: true });
  });

  test('abort during a download: rejects as an abort, leaves neither the file nor the partial', async () => {
    const controller = new AbortController();
    const target = join(work.dir, 'aborted-download.bin');
    await assert.rejects(
      downloadToFile(context, 'dumps/big.dump.age', target, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done > 0) controller.abort();
        },
      }),
      (error: unknown) => isAbortError(error),
    );
    await assert.rejects(stat(target), { code: 'ENOENT' });
    await assert.rejects(stat(`${target}.partial`), { code: 'ENOENT' });
  });

  test('verify of a missing copy fails typed', async () => {
    await assert.rejects(
      verifyStoredObject(context, 'dumps/never-uploaded.bin', { size: 1, sha256: 'b'.repeat(64) }),
      S3ObjectNotFoundError,
    );
  });

  test('an upload with Object Lock options carries a SHA-256 checksum and still stores the exact bytes', async () => {
    const retainUntil = new Date(Date.now() + 14 * 24 * 3600 * 1000);
    const result = await uploadFile(context, {
      file: bigFile,
      name: 'dumps/locked.dump.age',
      sha256: bigSha,
      objectLock: { retention: { mode: 'GOVERNANCE', retainUntil } },
    });
    assert.deepEqual(result.retention, { mode: 'GOVERNANCE', retainUntil });
    assert.equal((await sha256OfFile(s3.storedObjectPath(result.key))).sha256, bigSha);
  });

  test('a given SHA-256 that does not match the file fails the upload and removes the object', async () => {
    await assert.rejects(
      uploadFile(context, { file: bigFile, name: 'dumps/mismatch.dump.age', sha256: 'c'.repeat(64) }),
      (error: unknown) => error instanceof S3VerificationError && error.actual === bigSha,
    );
    assert.equal(await headObject(context, 'dumps/mismatch.dump.age'), undefined);
  });

  test('abort in the middle of a multipart upload: rejects as an abort, leaves no object', async () => {
    const controller = new AbortController();
    const upload = uploadFile(context, {
      file: bigFile,
      name: 'dumps/aborted.dump.age',
      sha256: bigSha,
      signal: controller.signal,
      // The first part is in: abort while the others are on their way.
      onProgress: (p) => {
        if (p.done > 0 && p.done < BIG) controller.abort();
      },
    });
    await assert.rejects(upload, (error: unknown) => isAbortError(error));
    assert.equal(controller.signal.aborted, true);
    assert.equal(await headObject(context, 'dumps/aborted.dump.age'), undefined);
    const names = (await listObjects(context, { under: 'dumps/' })).map((o) => o.name);
    assert.ok(!names.includes('dumps/aborted.dump.age'), names.join(','));
  });

  test('an upload with an already aborted signal does nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      uploadFile(context, { file: bigFile, name: 'dumps/never.dump.age', signal: controller.signal }),
      (error: unknown) => isAbortError(error),
    );
    assert.equal(await headObject(context, 'dumps/never.dump.age'), undefined);
  });
});

async function writeTemp(dir: string, name: string, data: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data, { mode: 0o600 });
  return path;
}
