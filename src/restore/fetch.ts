/**
 * A dump in the bucket, fetched and decrypted in one pass (issue 14): GetObject's body goes through the stored
 * SHA-256, age, zstd and the archive's SHA-256 straight into the private folder; no copy of the ciphertext is
 * written. A dropped connection asks for the rest from the byte reached (s3/download-stream.ts). When the
 * decryption fails with a manifest or `sha256` metadata to compare with, the rest of the object is still read
 * into the stored SHA-256: a damaged bucket copy is named as such, not as an age or zstd error.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { S3Context } from '../s3/client.js';
import { getObjectFrom, openResumableObject, readObjectRest, type ResumableObject } from '../s3/download-stream.js';
import { AgeAuthenticationError, AgeDecryptError, AgeTruncatedError } from '../crypto/age-errors.js';
import { contentMismatchError } from '../s3/download.js';
import { S3Error, type S3VerificationError } from '../s3/errors.js';
import { HashingStream } from '../s3/hash.js';
import { keyFor } from '../s3/settings.js';
import { decryptDump, FORMAT_HEAD_BYTES, formatOfHead, type DecryptOptions, type DecryptResult } from './decrypt.js';
import { checkFormatAndSize } from './dump-checks.js';
import type { DumpFormat } from './decrypt.js';
import type { Settings } from '../core/settings.js';
import type { DumpRef } from './types.js';

export interface BucketDump {
  context: S3Context;
  objectName: string;
  format: Exclude<DumpFormat, 'unknown'>;
  close: () => void;
}

export interface FetchResult extends DecryptResult {
  checkedAgainst: 'manifest' | 'metadata' | 'none';
  resumes: number;
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The object's format from its first bytes (one small ranged read), checked with its size against the manifest. */
export async function openBucketDump(dump: DumpRef, settings: Settings, signal: AbortSignal): Promise<BucketDump> {
  const [{ s3SettingsFromSettings }, { openS3, closeS3 }] = await Promise.all([
    import('../s3/settings.js'),
    import('../s3/client.js'),
  ]);
  const context = openS3(s3SettingsFromSettings(settings));
  const objectName = dump.objectName ?? dump.name;
  try {
    const length = Math.min(FORMAT_HEAD_BYTES, dump.size);
    const head =
      length > 0 ? await readAll((await getObjectFrom(context, objectName, { length, signal })).body) : Buffer.alloc(0);
    const format = checkFormatAndSize(dump, dump.manifest, formatOfHead(head), dump.size);
    let open = true;
    const close = () => {
      if (open) closeS3(context);
      open = false;
    };
    return { context, objectName, format, close };
  } catch (error) {
    closeS3(context);
    throw error;
  }
}

function contentMismatch(
  bucket: BucketDump,
  expected: string,
  actual: string,
  fromManifest: boolean,
): S3VerificationError {
  const where = `${bucket.context.settings.bucket}/${keyFor(bucket.context.settings, bucket.objectName)}`;
  return contentMismatchError(where, expected, actual, fromManifest);
}

/** After a failed decryption: the SHA-256 of the whole object, the bytes not yet hashed read from the bucket. */
async function storedDigestAfterFailure(
  bucket: BucketDump,
  object: ResumableObject,
  stored: HashingStream,
  signal: AbortSignal,
): Promise<string | undefined> {
  try {
    if (stored.bytes < object.size) {
      await readObjectRest(bucket.context, bucket.objectName, stored.bytes, (chunk) => stored.hashMore(chunk), {
        etag: object.etag,
        signal,
      });
    }
    return stored.digest();
  } catch {
    // The rest could not be read (the bucket went away, the run was stopped): the decryption's error is reported.
    return undefined;
  }
}

/** A failure that damaged bytes would explain (not a wrong identity, the bucket unreachable or a full disk): only
 * then is the rest of the object worth reading to name the damage. */
function damageSuspected(error: unknown): boolean {
  if (error instanceof AgeAuthenticationError || error instanceof AgeTruncatedError) return true;
  if (error instanceof AgeDecryptError || error instanceof S3Error) return false;
  const code = ((error as { cause?: NodeJS.ErrnoException }).cause ?? {}).code;
  return code !== 'ENOSPC' && code !== 'EDQUOT';
}

/** Fetches, decrypts and hashes the object into `destination` (written as `.partial`, renamed when whole). */
export async function fetchAndDecrypt(
  bucket: BucketDump,
  dump: DumpRef,
  options: Omit<DecryptOptions, 'source' | 'stored' | 'describe' | 'onProgress'> & {
    onProgress?: (bytes: number, total: number) => void;
  },
): Promise<FetchResult> {
  const object = await openResumableObject(bucket.context, bucket.objectName, { signal: options.signal });
  if (dump.manifest && object.size !== dump.manifest.dump.size) {
    object.body.destroy();
    checkFormatAndSize(dump, dump.manifest, bucket.format, object.size);
  }
  const fromManifest = dump.manifest?.dump.sha256;
  const expected = fromManifest ?? object.sha256;
  const stored = new HashingStream((bytes) => options.onProgress?.(bytes, object.size));
  let result: DecryptResult;
  try {
    const { onProgress: _onProgress, ...decrypt } = options;
    result = await decryptDump({ ...decrypt, source: object.body, stored, describe: `bucket object ${object.key}` });
  } catch (error) {
    object.body.destroy();
    if (options.signal.aborted || expected === undefined || !damageSuspected(error)) throw error;
    const actual = await storedDigestAfterFailure(bucket, object, stored, options.signal);
    if (actual !== undefined && actual !== expected)
      throw contentMismatch(bucket, expected, actual, fromManifest !== undefined);
    throw error;
  }
  if (expected !== undefined && result.storedSha256 !== expected) {
    await rm(options.destination, { force: true });
    throw contentMismatch(bucket, expected, result.storedSha256, fromManifest !== undefined);
  }
  const checkedAgainst = fromManifest ? 'manifest' : expected ? 'metadata' : 'none';
  return { ...result, checkedAgainst, resumes: object.resumes() };
}
