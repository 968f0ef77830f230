/**
 * Checks the stored copy: quickly (HeadObject: size and `sha256` metadata) and, on request, in full (streams
 * the object and hashes what the bucket really returns: the only check that catches damaged content behind
 * correct metadata).
 */
import { pipeline } from 'node:stream/promises';
import type { S3Context } from './client.js';
import { S3ObjectNotFoundError, S3VerificationError, abortErrorOf, mapS3Error } from './errors.js';
import { HashingStream, normalizeSha256 } from './hash.js';
import { openObjectStream } from './download.js';
import { headObject } from './objects.js';
import { describeLocation } from './settings.js';

export interface ExpectedCopy {
  size: number;
  sha256: string;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  /** Also stream the object and hash its content. */
  full?: boolean;
  onProgress?: (progress: { done: number; total: number }) => void;
}

export interface VerifyResult {
  name: string;
  key: string;
  size: number;
  sha256: string;
  /** The content itself was hashed (not only the metadata read). */
  contentVerified: boolean;
  etag?: string;
  lastModified?: Date;
}

export async function verifyStoredObject(
  context: S3Context,
  name: string,
  expectedCopy: ExpectedCopy,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const expected = normalizeSha256(expectedCopy.sha256);
  const where = describeLocation(context.settings, name);
  const head = await headObject(context, name, { signal: options.signal });
  if (!head) {
    throw new S3ObjectNotFoundError(
      name,
      `the copy ${where} is missing`,
      'upload it again (run the backup runbook); check S3_PREFIX if it should be there',
    );
  }
  if (head.size !== expectedCopy.size) {
    throw new S3VerificationError(
      'size',
      String(expectedCopy.size),
      String(head.size),
      `the copy ${where} is ${head.size} bytes, the local file ${expectedCopy.size}`,
      'the copy is incomplete or is another file: upload it again',
    );
  }
  const stored = head.sha256?.toLowerCase();
  if (stored !== expected) {
    throw new S3VerificationError(
      'sha256-metadata',
      expected,
      stored ?? '(none)',
      stored
        ? `the copy ${where} has sha256 metadata ${stored}, expected ${expected}`
        : `the copy ${where} has no sha256 metadata (expected ${expected})`,
      'the copy was not written by this tool or was replaced: upload it again',
    );
  }
  const result: VerifyResult = { name, key: head.key, size: head.size, sha256: expected, contentVerified: false };
  if (head.etag) result.etag = head.etag;
  if (head.lastModified) result.lastModified = head.lastModified;
  if (options.full) {
    await verifyObjectContent(context, name, expectedCopy, options);
    result.contentVerified = true;
  }
  return result;
}

/** Streams the object and compares its SHA-256 (and size) with what is expected. */
export async function verifyObjectContent(
  context: S3Context,
  name: string,
  expectedCopy: ExpectedCopy,
  options: Omit<VerifyOptions, 'full'> = {},
): Promise<{ size: number; sha256: string }> {
  const { signal } = options;
  const expected = normalizeSha256(expectedCopy.sha256);
  const where = describeLocation(context.settings, name);
  const object = await openObjectStream(context, name, { signal });
  const hasher = new HashingStream((done) => options.onProgress?.({ done, total: object.size }));
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) void chunk;
  };
  try {
    await pipeline(object.body, hasher, sink, { signal });
  } catch (error) {
    object.body.destroy();
    if (signal?.aborted) throw abortErrorOf(signal);
    throw mapS3Error(error, { operation: 'read the copy', settings: context.settings, name });
  }
  const actual = hasher.digest();
  if (hasher.bytes !== expectedCopy.size || actual !== expected) {
    throw new S3VerificationError(
      'content-sha256',
      expected,
      actual,
      `the content of ${where} (${hasher.bytes} bytes, SHA-256 ${actual}) differs from the local ` +
        `file (${expectedCopy.size} bytes, SHA-256 ${expected})`,
      'the copy in the bucket is damaged or was replaced: upload it again; for a restore, use another copy',
    );
  }
  return { size: hasher.bytes, sha256: actual };
}
