/** sha256OfFile reads into one reused buffer: every size around its read size hashes as the whole file does. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FILE_READ_SIZE, sha256OfFile } from '../../src/s3/hash.js';

describe('sha256OfFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'obexal-hash-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sizes = [0, 1, FILE_READ_SIZE - 1, FILE_READ_SIZE, FILE_READ_SIZE + 1, 3 * FILE_READ_SIZE + 4097];
  for (const size of sizes) {
    it(`hashes a file of ${size} bytes as one piece, and reports its size and progress`, async () => {
      const data = randomBytes(size);
      const path = join(dir, `f-${size}`);
      await writeFile(path, data);
      const progress: number[] = [];
      const result = await sha256OfFile(path, { onBytes: (bytes) => progress.push(bytes) });
      assert.equal(result.size, size);
      assert.equal(result.sha256, createHash('sha256').update(data).digest('hex'));
      assert.equal(progress.at(-1) ?? 0, size);
      assert.equal(progress.length, Math.ceil(size / FILE_READ_SIZE));
    });
  }

  it('stops on an aborted signal and closes the file', async () => {
    const path = join(dir, 'aborted');
    await writeFile(path, randomBytes(2 * FILE_READ_SIZE));
    const stop = new AbortController();
    const reading = sha256OfFile(path, { signal: stop.signal, onBytes: () => stop.abort() });
    await assert.rejects(reading, (error: Error) => error.name === 'AbortError');
  });

  it('fails on a missing file', async () => {
    await assert.rejects(sha256OfFile(join(dir, 'missing')), { code: 'ENOENT' });
  });
});
