/**
 * Decrypts a dump into the private folder (file 0600, written as `.partial` and renamed only once complete),
 * decompressing a zstd layer (BACKUP_COMPRESSION=zstd), while hashing both sides: the stored file's SHA-256
 * (manifest `dump.sha256`) and the pg_dump archive's (`dump.plaintextSha256`). age authenticates every 64 KiB
 * chunk and marks the last one, and zstd frames carry a checksum, so a tampered or truncated file fails here with
 * a typed error and no plaintext is left behind.
 */
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StepFailedError } from '../core/errors.js';
import { AgeDecryptError } from '../crypto/age-errors.js';
import { createAgeDecryptStream } from '../crypto/age-decrypt.js';
import type { AgeIdentity } from '../crypto/age-keys.js';
import { collectAfterPass } from '../core/young-gc.js';
import { createZstdIfFramedStream, ZSTD_MAGIC } from '../core/zstd.js';
import { S3Error } from '../s3/errors.js';
import { HashingStream } from '../s3/hash.js';
import { ArchiveOffsetScanner, fillArchiveOffsets } from './archive-offsets.js';

export type DumpFormat = 'age' | 'custom' | 'zstd' | 'unknown';

const AGE_MAGIC = Buffer.from('age-encryption.org/v1', 'latin1');
const ARMOR_MAGIC = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----', 'latin1');
const PGDMP_MAGIC = Buffer.from('PGDMP', 'latin1');

/** The bytes `formatOfHead` needs. */
export const FORMAT_HEAD_BYTES = ARMOR_MAGIC.length;

/** The format the first bytes of a dump show (a file's, or a bucket object's first bytes). */
export function formatOfHead(bytes: Buffer): DumpFormat {
  if (bytes.subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC) || bytes.equals(ARMOR_MAGIC)) return 'age';
  if (bytes.subarray(0, PGDMP_MAGIC.length).equals(PGDMP_MAGIC)) return 'custom';
  if (bytes.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) return 'zstd';
  return 'unknown';
}

export async function detectFormat(path: string): Promise<DumpFormat> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(FORMAT_HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return formatOfHead(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

export interface DecryptResult {
  storedSha256: string;
  storedSize: number;
  plaintextSha256: string;
  plaintextSize: number;
  /** Tables whose data offsets were written into the archive's table of contents (pg_dump wrote to a pipe). */
  offsetsFilled: number;
  durationMs: number;
}

/** The pipeline's end: each chunk of the archive hashed, shown to the scanner and written, held by no other stage
 * (one stage instead of three Transforms and a write stream, each of which buffered chunks of its own). */
function archiveSink(partial: string, plain: HashingStream, scanner: ArchiveOffsetScanner) {
  return async (source: AsyncIterable<Buffer>): Promise<void> => {
    const handle = await open(partial, 'wx', 0o600);
    try {
      for await (const chunk of source) {
        plain.hashMore(chunk);
        scanner.feed(chunk);
        for (let at = 0; at < chunk.length;) at += (await handle.write(chunk, at)).bytesWritten;
      }
    } finally {
      await handle.close();
    }
  };
}

export interface DecryptOptions {
  /** A file's path, or the stream of the stored bytes (a bucket object's body: fetched in the same pass). */
  source: string | Readable;
  /** What `source` is, for messages (a path is its own description). */
  describe?: string;
  destination: string;
  /** Undefined: the file is not encrypted (a plain `.dump.zst` only needs its zstd layer undone). */
  identities: readonly AgeIdentity[] | undefined;
  signal: AbortSignal;
  /** The hash of the stored bytes, given by a caller that goes on hashing after a failure (fetch.ts). */
  stored?: HashingStream;
  onProgress?: (bytes: number) => void;
}

export async function decryptDump(options: DecryptOptions): Promise<DecryptResult> {
  const started = Date.now();
  const partial = `${options.destination}.partial`;
  const stored = options.stored ?? new HashingStream(options.onProgress);
  const source =
    typeof options.source === 'string' ? createReadStream(options.source, { highWaterMark: 1 << 18 }) : options.source;
  const plain = new HashingStream();
  const scanner = new ArchiveOffsetScanner();
  let offsetsFilled: number;
  try {
    await rm(partial, { force: true });
    await pipeline(
      source,
      stored,
      options.identities ? createAgeDecryptStream(options.identities) : new PassThrough(),
      createZstdIfFramedStream(),
      archiveSink(partial, plain, scanner),
      { signal: options.signal },
    );
    collectAfterPass();
    // Offsets only make reading faster: a failure to write them leaves the archive as pg_dump made it.
    offsetsFilled = await fillArchiveOffsets(partial, scanner).catch(() => 0);
    await rename(partial, options.destination);
  } catch (error) {
    await rm(partial, { force: true });
    const describe = options.describe ?? (typeof options.source === 'string' ? options.source : 'the dump');
    if (options.signal.aborted || error instanceof AgeDecryptError || error instanceof S3Error) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new StepFailedError(
        `the disk of the private folder filled up while decrypting (${code})`,
        'point TMPDIR at a folder on a larger disk; nothing was changed',
        error,
      );
    }
    throw new StepFailedError(
      `decrypting ${describe} failed: ${(error as Error).message}`,
      'fetch the dump again (the bucket copy, or the local one) or restore another dump; check the private ' +
        'folder (TMPDIR); nothing was changed',
      error,
    );
  }
  return {
    storedSha256: stored.digest(),
    storedSize: stored.bytes,
    plaintextSha256: plain.digest(),
    plaintextSize: plain.bytes,
    offsetsFilled,
    durationMs: Date.now() - started,
  };
}
