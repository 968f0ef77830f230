/**
 * Streamed reads: an object's body as a Node Readable (to pipe into decryption), and a download to a file
 * (written as `*.partial`, 0600, renamed when complete) that hashes on the fly and checks the SHA-256, asking for
 * the rest again from the byte reached when the connection drops (download-stream.ts).
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StepFailedError, messageOf } from '../core/errors.js';
import type { S3Context } from './client.js';
import { openResumableObject } from './download-stream.js';
import { S3VerificationError, abortErrorOf, mapS3Error, s3Call } from './errors.js';
import { HashingStream, normalizeSha256 } from './hash.js';
import { SHA256_METADATA_KEY } from './metadata.js';
import { keyFor } from './settings.js';

export interface ObjectStream {
  name: string;
  key: string;
  body: Readable;
  size: number;
  /** The object's `sha256` metadata, when it has one. */
  sha256?: string;
  metadata: Record<string, string>;
  etag?: string;
  lastModified?: Date;
}

export async function openObjectStream(
  context: S3Context,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<ObjectStream> {
  const { client, settings } = context;
  const key = keyFor(settings, name);
  const answer = await s3Call({ operation: 'download', settings, name }, options.signal, () =>
    client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }), { abortSignal: options.signal }),
  );
  const body = answer.Body;
  if (!(body instanceof Readable)) {
    throw mapS3Error(new Error('the response has no readable body'), { operation: 'download', settings, name });
  }
  const stream: ObjectStream = { name, key, body, size: answer.ContentLength ?? 0, metadata: answer.Metadata ?? {} };
  const sha256 = answer.Metadata?.[SHA256_METADATA_KEY];
  if (sha256) stream.sha256 = sha256.toLowerCase();
  if (answer.ETag) stream.etag = answer.ETag;
  if (answer.LastModified) stream.lastModified = answer.LastModified;
  return stream;
}

/** A fetched object whose bytes are not those the manifest (or its `sha256` metadata) describes. */
export function contentMismatchError(
  where: string,
  expected: string,
  actual: string,
  fromManifest: boolean,
): S3VerificationError {
  return new S3VerificationError(
    'content-sha256',
    expected,
    actual,
    `the content of ${where} has SHA-256 ${actual}, expected ${expected} ` +
      `(${fromManifest ? 'from the manifest' : 'from its sha256 metadata'}); the download was discarded`,
    'the copy in the bucket is damaged or is not the dump the manifest describes: use another ' +
      'copy (the local backup, an earlier dump)',
  );
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** The SHA-256 the content must have (from the manifest); the object's `sha256` metadata when absent. */
  expectedSha256?: string;
  onProgress?: (progress: { done: number; total: number }) => void;
}

export interface DownloadResult {
  file: string;
  size: number;
  sha256: string;
  /** What the content was checked against: the caller's value, the object's metadata, or nothing. */
  verifiedAgainst: 'expected' | 'metadata' | 'none';
}

/** The error of a download that stopped: the abort as it is, a local write failure, or S3's mapped error. */
function downloadError(
  error: unknown,
  context: S3Context,
  name: string,
  partial: string,
  signal: AbortSignal | undefined,
): Error {
  if (signal?.aborted) return abortErrorOf(signal);
  if ((error as NodeJS.ErrnoException).path === partial) {
    return new StepFailedError(
      `cannot write ${partial}: ${messageOf(error)}`,
      'check the folder exists, is writable, and has room',
      error,
    );
  }
  return mapS3Error(error, { operation: 'download', settings: context.settings, name });
}

export async function downloadToFile(
  context: S3Context,
  name: string,
  file: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const { signal } = options;
  const expectedGiven = options.expectedSha256 !== undefined ? normalizeSha256(options.expectedSha256) : undefined;
  const object = await openResumableObject(context, name, { signal });
  const expected = expectedGiven ?? object.sha256;
  const partial = `${file}.partial`;
  const hasher = new HashingStream((done) => options.onProgress?.({ done, total: object.size }));
  try {
    await rm(partial, { force: true }); // a leftover of a killed run may have other permissions
    await pipeline(object.body, hasher, createWriteStream(partial, { mode: 0o600 }), { signal });
    await chmod(partial, 0o600);
  } catch (error) {
    object.body.destroy();
    await rm(partial, { force: true });
    throw downloadError(error, context, name, partial, signal);
  }
  const actual = hasher.digest();
  const where = `${context.settings.bucket}/${object.key}`;
  if (hasher.bytes !== object.size) {
    await rm(partial, { force: true });
    throw new S3VerificationError(
      'size',
      String(object.size),
      String(hasher.bytes),
      `the download of ${where} ended after ${hasher.bytes} of ${object.size} bytes`,
      'the connection dropped or the object changed during the download: download it again',
    );
  }
  if (expected !== undefined && actual !== expected) {
    await rm(partial, { force: true });
    throw contentMismatchError(where, expected, actual, expectedGiven !== undefined);
  }
  await rename(partial, file);
  return {
    file,
    size: hasher.bytes,
    sha256: actual,
    verifiedAgainst: expectedGiven ? 'expected' : expected ? 'metadata' : 'none',
  };
}
