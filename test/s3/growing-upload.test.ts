/**
 * The upload of a file while it is written (the dump's upload during pg_dump, issue 14), against s3rver with the
 * real SDK: parts leave before the writer is done, the object gets its `sha256` metadata once the hash is known,
 * and nothing is completed in the bucket when the file is not the one the writer describes, when the writer
 * stops, or when the bucket dies mid-upload (the file itself is never touched).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { S3Error, S3VerificationError } from '../../src/s3/errors.js';
import { GrowingFileError, startGrowingUpload } from '../../src/s3/growing-upload.js';
import { headObject } from '../../src/s3/objects.js';
import { UPLOAD_PART_SIZE } from '../../src/s3/upload.js';
import { verifyObjectContent, verifyStoredObject } from '../../src/s3/verify.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { contextFor, sha256, tempDir, useEnvCredentials } from './fixture.js';

const MIB = 1024 * 1024;

/** A file written chunk by chunk, as pg_dump's output reaches BACKUP_DIR. */
class GrowingFile {
  private chunks: Buffer[] = [];
  private constructor(
    readonly path: string,
    private handle: FileHandle,
  ) {}

  static async create(path: string): Promise<GrowingFile> {
    return new GrowingFile(path, await open(path, 'w', 0o600));
  }

  async append(bytes: number): Promise<void> {
    const chunk = randomBytes(bytes);
    this.chunks.push(chunk);
    await this.handle.write(chunk);
  }

  async close(): Promise<{ size: number; sha256: string }> {
    await this.handle.close();
    const all = Buffer.concat(this.chunks);
    return { size: all.length, sha256: sha256(all) };
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('an upload while the file is written (s3rver)', () => {
  let s3: StartedS3rver;
  let context: S3Context;
  let work: { dir: string; remove(): Promise<void> };

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
    context = contextFor(s3.env);
    work = await tempDir();
  });
  after(async () => {
    closeS3(context);
    await s3.stop();
    await work.remove();
  });

  test('parts leave while the file grows; the object is the file, with its sha256 metadata', async () => {
    const file = await GrowingFile.create(join(work.dir, 'grow.dump.age'));
    const sent: number[] = [];
    const upload = startGrowingUpload(context, {
      path: file.path,
      name: 'grow.dump.age',
      onProgress: (done) => sent.push(done),
    });
    for (let i = 0; i < 10; i++) await file.append(MIB);
    // The first part went up before the writer was done.
    await until(() => sent.length > 0);
    for (let i = 0; i < 11; i++) await file.append(MIB);
    await file.append(12_345);
    const written = await file.close();
    upload.finish(written);
    const result = await upload.done;
    assert.equal(result.size, written.size);
    assert.equal(result.sha256, written.sha256);
    assert.equal(sha256(readFileSync(s3.storedObjectPath('obexal/grow.dump.age'))), written.sha256);
    const head = await headObject(context, 'grow.dump.age');
    assert.equal(head?.sha256, written.sha256);
    await verifyStoredObject(context, 'grow.dump.age', written, { full: true });
  });

  test('a file within one part goes up whole, with its metadata', async () => {
    const file = await GrowingFile.create(join(work.dir, 'small.dump.age'));
    const upload = startGrowingUpload(context, { path: file.path, name: 'small.dump.age' });
    await file.append(300_000);
    const written = await file.close();
    upload.finish(written);
    assert.equal((await upload.done).sha256, written.sha256);
    await verifyStoredObject(context, 'small.dump.age', written);
  });

  test('a file that is not the one the writer describes is never completed', async () => {
    for (const size of [UPLOAD_PART_SIZE * 2 + 100, 1000]) {
      const path = join(work.dir, `other-${size}.dump.age`);
      await writeFile(path, randomBytes(size));
      const upload = startGrowingUpload(context, { path, name: `other-${size}.dump.age` });
      upload.finish({ size, sha256: sha256('something else') });
      await assert.rejects(upload.done, S3VerificationError);
      assert.equal(await headObject(context, `other-${size}.dump.age`), undefined);
    }
  });

  test('the writer stops (pg_dump failed): the upload is aborted, no object', async () => {
    const file = await GrowingFile.create(join(work.dir, 'stopped.dump.age'));
    const sent: number[] = [];
    const upload = startGrowingUpload(context, {
      path: file.path,
      name: 'stopped.dump.age',
      onProgress: (done) => sent.push(done),
    });
    for (let i = 0; i < 9; i++) await file.append(MIB);
    await until(() => sent.length > 0);
    upload.cancel('pg_dump exited with code 1');
    await assert.rejects(upload.done, (error: Error) => {
      assert.ok(error instanceof GrowingFileError);
      assert.match(error.message, /pg_dump exited with code 1/);
      return true;
    });
    await file.close();
    assert.equal(await headObject(context, 'stopped.dump.age'), undefined);
  });
});

describe('the bucket dies while the file is written', () => {
  test('the upload fails with a bucket error; the file is untouched and nothing is completed', async () => {
    const s3 = await startS3rver();
    useEnvCredentials(s3.env);
    const context = contextFor(s3.env);
    const work = await tempDir();
    try {
      const file = await GrowingFile.create(join(work.dir, 'dies.dump.age'));
      const sent: number[] = [];
      const upload = startGrowingUpload(context, {
        path: file.path,
        name: 'dies.dump.age',
        onProgress: (done) => sent.push(done),
      });
      for (let i = 0; i < 9; i++) await file.append(MIB);
      await until(() => sent.length > 0);
      const stored = s3.storedObjectPath('obexal/dies.dump.age');
      await s3.stop();
      for (let i = 0; i < 20; i++) await file.append(MIB);
      const written = await file.close();
      upload.finish(written);
      await assert.rejects(upload.done, (error: Error) => {
        assert.ok(error instanceof S3Error, `${error.name}: ${error.message}`);
        return true;
      });
      assert.equal(sha256(readFileSync(file.path)), written.sha256);
      assert.equal(existsSync(stored), false);
      // The content check of a copy that was never completed fails too (s3rver is gone): nothing to trust.
      await assert.rejects(verifyObjectContent(context, 'dies.dump.age', written));
    } finally {
      closeS3(context);
      await s3.stop().catch(() => undefined);
      await work.remove();
    }
  });
});
