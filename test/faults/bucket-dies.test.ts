/**
 * Item 7 of issue 17, kept as it is: a bucket that dies in the middle of an upload (s3rver killed after the first
 * part) ends the upload with a failed step (exit code 1 of DESIGN §3) whose message names the local file being
 * uploaded and says to check it, and the local file is left whole (nothing lost). And (item 8) a bucket that
 * cannot be reached is named in the error, not only its endpoint.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode, exitCodeOf, RunbookError } from '../../src/core/errors.js';
import { closeS3, type S3Context } from '../../src/s3/client.js';
import { sha256OfFile } from '../../src/s3/hash.js';
import { uploadFile } from '../../src/s3/upload.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, tempDir, useEnvCredentials, writeRandomFile } from '../s3/fixture.js';

describe('a bucket that dies mid-upload', () => {
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
    await s3.stop().catch(() => undefined);
    await work.remove();
  });

  it('fails the step (exit 1), names the local dump and says to check it; the local file is whole', async () => {
    const file = join(work.dir, 'obexal-20261202T000000Z.dump.age');
    const sha = await writeRandomFile(file, 40 * 1024 * 1024);
    let killed = false;
    const error = await uploadFile(context, {
      file,
      name: 'dumps/obexal-20261202T000000Z.dump.age',
      onProgress: (p) => {
        if (!killed && p.done > 0) {
          killed = true;
          process.kill(s3.pid, 'SIGKILL');
        }
      },
    }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.ok(killed, 'the bucket was killed during the upload');
    assert.ok(error instanceof RunbookError, `a typed error: ${String(error)}`);
    assert.equal(exitCodeOf(error), ExitCode.stepFailed);
    assert.match(error.message, new RegExp(`^cannot read ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    assert.equal(error.hint, 'check that the file exists and is readable');
    assert.equal((await sha256OfFile(file)).sha256, sha, 'the local dump is untouched');
  });

  it('an unreachable bucket is named in the error, with its endpoint and what to check', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = contextFor({ ...s3.env, S3_ENDPOINT: endpoint });
    const file = join(work.dir, 'small.dump.age');
    await writeRandomFile(file, 1024);
    try {
      await assert.rejects(uploadFile(unreachable, { file, name: 'dumps/small.dump.age' }), (error: unknown) => {
        assert.ok(error instanceof RunbookError);
        assert.equal(exitCodeOf(error), ExitCode.stepFailed);
        assert.match(
          error.message,
          new RegExp(
            `cannot (?:upload|read the bucket.s location): the bucket ${s3.bucket} at ${endpoint} is unreachable \\(ECONNREFUSED\\)`,
          ),
        );
        assert.match(error.hint ?? '', /check S3_ENDPOINT/);
        return true;
      });
    } finally {
      closeS3(unreachable);
    }
  });
});
