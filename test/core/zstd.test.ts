/** The dump's zstd layer against the real `zstd` tool: what the tool writes, zstd reads, and back. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { createDumpCompressor, createZstdIfFramedStream } from '../../src/core/zstd.js';

const dirs: string[] = [];
after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Text that compresses, with random runs so that chunks differ. */
function archiveLike(bytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = 0; n < bytes; n += 4096)
    parts.push(Buffer.from(`row ${n}\t${randomBytes(24).toString('hex')}\n`.repeat(40)));
  return Buffer.concat(parts).subarray(0, bytes);
}

async function through(input: Buffer, ...stages: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // small chunks: the magic and the frames arrive split across writes
  for (let i = 0; i < input.length; i += 1000) chunks.push(input.subarray(i, i + 1000));
  let out = Buffer.alloc(0);
  await pipeline(
    Readable.from(chunks),
    ...(stages as [NodeJS.ReadWriteStream]),
    async (source: AsyncIterable<Buffer | string>) => {
      out = await buffer(source);
    },
  );
  return out;
}

describe('the zstd layer of a dump', () => {
  it('writes what the zstd tool decompresses (with its content checksum), and reads what the tool wrote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zstd-test-'));
    dirs.push(dir);
    const plain = archiveLike(3 * 1024 * 1024 + 17);
    writeFileSync(join(dir, 'a.zst'), await through(plain, createDumpCompressor(1)));
    execFileSync('zstd', ['-t', '-q', join(dir, 'a.zst')]); // checks the frame and its checksum
    execFileSync('zstd', ['-d', '-q', '-o', join(dir, 'a'), join(dir, 'a.zst')]);
    assert.ok(readFileSync(join(dir, 'a')).equals(plain));

    execFileSync('zstd', ['-q', '-19', '-o', join(dir, 'b.zst'), join(dir, 'a')]);
    assert.ok((await through(readFileSync(join(dir, 'b.zst')), createZstdIfFramedStream())).equals(plain));
  });

  it('passes an archive that is not zstd through unchanged, however short', async () => {
    for (const input of [Buffer.from('PGDMP\u0001\u000e'), Buffer.from('PG'), Buffer.alloc(0), archiveLike(70_000)]) {
      assert.ok((await through(input, createZstdIfFramedStream())).equals(input));
    }
  });

  it('fails on a truncated or altered zstd stream instead of yielding a short archive', async () => {
    const compressed = await through(archiveLike(1024 * 1024), createDumpCompressor(1));
    await assert.rejects(through(compressed.subarray(0, compressed.length - 100), createZstdIfFramedStream()));
    const altered = Buffer.from(compressed);
    altered[Math.floor(altered.length / 2)]! ^= 0xff;
    await assert.rejects(through(altered, createZstdIfFramedStream()));
  });
});
