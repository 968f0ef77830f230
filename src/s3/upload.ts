/**
 * Uploads a local file with its SHA-256 as object metadata `sha256`: one PutObject up to a part's size, else a
 * multipart upload (parts of 8 MiB, larger only past 78 GiB to stay within S3's 10,000 parts, two in flight, read
 * into two buffers reused part after part: memory stays near 16 MiB whatever the size; multipart.ts). On an Object
 * Lock bucket every request carries a SHA-256 checksum (S3 requires one there) and the caller's retention is set.
 *
 * Failure and abort: the multipart upload is aborted (only that request ignores the caller's signal), so that no
 * object is ever completed after an abort, and the first error is the one reported.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash, type Hash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { StepFailedError, UsageError, messageOf } from '../core/errors.js';
import type { S3Context } from './client.js';
import { S3VerificationError, abortErrorOf, mapS3Error } from './errors.js';
import { normalizeSha256, sha256OfFile } from './hash.js';
import { FileReadError, multipartUpload, readFully } from './multipart.js';
import { keyFor, type S3Settings } from './settings.js';
import { validateMetadata } from './metadata.js';
import { assertUploadAllowed } from './upload-gate.js';

export const UPLOAD_PART_SIZE = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
export const UPLOAD_QUEUE_SIZE = 2;

export interface ObjectLockRetention {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  retainUntil: Date;
}

export interface UploadProgress {
  done: number;
  total: number;
}

export interface UploadFileOptions {
  file: string;
  /** Object name under S3_PREFIX. */
  name: string;
  /** The file's SHA-256 (hex) when the caller has it (the manifest); computed first otherwise. */
  sha256?: string;
  /** Extra user metadata (lowercase keys, ASCII values); `sha256` is set by the upload. */
  metadata?: Record<string, string>;
  contentType?: string;
  /**
   * The bucket has Object Lock: checksum every request, and set `retention` when given (else the bucket's
   * default retention applies).
   */
  objectLock?: { retention?: ObjectLockRetention };
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
}

export interface UploadResult {
  name: string;
  key: string;
  size: number;
  sha256: string;
  etag?: string;
  versionId?: string;
  retention?: ObjectLockRetention;
}

function checkRetention(retention: ObjectLockRetention | undefined): void {
  if (!retention) return;
  if (retention.mode !== 'GOVERNANCE' && retention.mode !== 'COMPLIANCE') {
    throw new UsageError(`Object Lock mode must be GOVERNANCE or COMPLIANCE, got ${String(retention.mode)}`);
  }
  const until = retention.retainUntil;
  if (!(until instanceof Date) || Number.isNaN(until.getTime()) || until.getTime() <= Date.now()) {
    throw new UsageError(
      'Object Lock retain-until must be a date in the future',
      'retain until the end of the retention window (and any pin)',
    );
  }
}

export async function uploadFile(context: S3Context, options: UploadFileOptions): Promise<UploadResult> {
  const { client, settings } = context;
  const { signal, name } = options;
  const key = keyFor(settings, name);
  const metadata = validateMetadata(options.metadata ?? {});
  const retention = options.objectLock?.retention;
  checkRetention(retention);
  if (signal?.aborted) throw abortErrorOf(signal);
  await assertUploadAllowed(context, signal);

  const { size } = await stat(options.file);
  const expected =
    options.sha256 !== undefined
      ? normalizeSha256(options.sha256)
      : (await sha256OfFile(options.file, { signal })).sha256;

  const params: PutObjectCommandInput = {
    Bucket: settings.bucket,
    Key: key,
    ContentLength: size,
    ContentType: options.contentType ?? 'application/octet-stream',
    Metadata: { ...metadata, sha256: expected },
  };
  if (options.objectLock) params.ChecksumAlgorithm = 'SHA256';
  if (retention) {
    params.ObjectLockMode = retention.mode;
    params.ObjectLockRetainUntilDate = retention.retainUntil;
  }

  const sent = await sendFile(context, options, params, size);
  const streamed = sent.hash.digest('hex');
  const output = sent.output;
  if (streamed !== expected) {
    await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key })).catch(() => undefined);
    throw new S3VerificationError(
      'content-sha256',
      expected,
      streamed,
      `the file ${options.file} changed during the upload, or its given SHA-256 is wrong ` +
        `(read ${size} bytes with SHA-256 ${streamed}, expected ${size} bytes ` +
        `with ${expected}); the uploaded object was deleted`,
      'make sure nothing writes to the file while it is uploaded, and that the manifest belongs to ' +
        'this file; then upload again',
    );
  }
  const result: UploadResult = { name, key, size, sha256: expected };
  if (output.ETag) result.etag = output.ETag;
  if (output.VersionId) result.versionId = output.VersionId;
  if (retention) result.retention = retention;
  options.onProgress?.({ done: size, total: size });
  return result;
}

type SendResult = { hash: Hash; output: { ETag?: string | undefined; VersionId?: string | undefined } };

/**
 * Sends the file: one PutObject from one buffer up to a part's size, else the multipart upload of multipart.ts.
 * Errors are mapped here: an abort stays an abort; a failure while the file was still being read names the file
 * (issue 17's "a bucket that dies mid-upload", kept as lib-storage reported it), with S3's own message.
 */
async function sendFile(
  context: S3Context,
  options: UploadFileOptions,
  params: PutObjectCommandInput,
  size: number,
): Promise<SendResult> {
  const { client, settings } = context;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const partSize = Math.max(UPLOAD_PART_SIZE, Math.ceil(size / MAX_PARTS));
  const hash = createHash('sha256');
  const state = { uploadId: undefined as string | undefined, done: 0, readAll: false };
  const file = await openFile(options.file);
  try {
    if (size <= partSize) {
      const body = Buffer.allocUnsafe(size);
      await readFully(file, body, size, 0);
      hash.update(body);
      state.readAll = true;
      const output = await client.send(new PutObjectCommand({ ...params, Body: body }), { abortSignal: signal });
      return { hash, output };
    }
    const output = await multipartUpload({
      client,
      params,
      file,
      size,
      partSize,
      queueSize: UPLOAD_QUEUE_SIZE,
      signal,
      onRead: (bytes) => {
        hash.update(bytes);
        state.readAll = state.done + bytes.length >= size;
      },
      onPartDone: (bytes) => {
        state.done += bytes;
        options.onProgress?.({ done: state.done, total: size });
      },
      onUploadId: (id) => (state.uploadId = id),
    });
    return { hash, output };
  } catch (error) {
    stop.abort();
    const cleanup = await abortMultipart(client, settings.bucket, params.Key!, state.uploadId);
    if (options.signal?.aborted) throw abortErrorOf(options.signal);
    const mapped = sendError(error, options, settings, state.readAll);
    if (cleanup) mapped.message += ` (${cleanup})`;
    throw mapped;
  } finally {
    await file.close();
  }
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw new StepFailedError(`cannot read ${path}: ${messageOf(error)}`, 'check that the file exists and is readable');
  }
}

function sendError(error: unknown, options: UploadFileOptions, settings: S3Settings, readAll: boolean): Error {
  const mapped =
    error instanceof FileReadError ? error : mapS3Error(error, { operation: 'upload', settings, name: options.name });
  if (error instanceof FileReadError || !readAll) {
    return new StepFailedError(
      `cannot read ${options.file}: ${messageOf(mapped)}`,
      'check that the file exists and is readable',
    );
  }
  return mapped;
}

/** Aborts a multipart upload left by a failure; returns a note when that did not work. */
async function abortMultipart(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string | undefined,
): Promise<string | undefined> {
  if (!uploadId) return undefined;
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    return undefined;
  } catch (error) {
    const code = (error as { name?: string }).name ?? 'error';
    if (code === 'NoSuchUpload') return undefined;
    return (
      `the incomplete multipart upload could not be aborted (${code}); no object was created, ` +
      'and a lifecycle rule with AbortIncompleteMultipartUpload removes its parts'
    );
  }
}
