/**
 * Uploads a local file, streamed and multipart (@aws-sdk/lib-storage: parts of 8 MiB, larger only past 78 GiB
 * to stay within S3's 10,000 parts, two in flight, so memory stays near 24 MiB), with its SHA-256 as object metadata
 * `sha256`. On an Object Lock bucket every request carries a SHA-256 checksum (S3 requires one there) and the caller's
 * retention is set.
 *
 * Failure and abort: lib-storage's own cleanup is switched off (`leavePartsOnError`) because it replaces the
 * upload's error with the cleanup's when the cleanup fails; we abort the multipart upload ourselves, so that no
 * object is ever completed after an abort and the first error is the one reported.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { StepFailedError, UsageError, messageOf } from '../core/errors.js';
import type { S3Context } from './client.js';
import { S3VerificationError, abortErrorOf, mapS3Error } from './errors.js';
import { HashingStream, normalizeSha256, sha256OfFile } from './hash.js';
import { keyFor } from './settings.js';
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

/** A client whose requests all follow `signal`, except the AbortMultipartUpload that cleans up after it fired. */
function followingSignal(client: S3Client, signal: AbortSignal | undefined): S3Client {
  if (!signal) return client;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return (command: Parameters<S3Client['send']>[0], options?: object) =>
        command instanceof AbortMultipartUploadCommand
          ? target.send(command, options)
          : target.send(command, { ...options, abortSignal: signal });
    },
  });
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

  const source = createReadStream(options.file, { highWaterMark: 1 << 20 });
  const hasher = new HashingStream();
  let sourceError: Error | undefined;
  pipeline(source, hasher, (error) => {
    if (error) sourceError = error;
  });

  const upload = new Upload({
    client: followingSignal(client, signal),
    params: { ...params, Body: hasher },
    partSize: Math.max(UPLOAD_PART_SIZE, Math.ceil(size / MAX_PARTS)),
    queueSize: UPLOAD_QUEUE_SIZE,
    leavePartsOnError: true,
  });
  upload.on('httpUploadProgress', (p) => options.onProgress?.({ done: p.loaded ?? 0, total: size }));

  let output: Awaited<ReturnType<Upload['done']>>;
  try {
    output = await upload.done();
  } catch (error) {
    const readError = sourceError; // before destroy(), which makes the pipeline report a premature close
    source.destroy();
    const cleanup = await abortMultipart(client, settings.bucket, key, upload.uploadId);
    if (signal?.aborted) throw abortErrorOf(signal);
    const mapped =
      readError !== undefined
        ? new StepFailedError(
            `cannot read ${options.file}: ${messageOf(readError)}`,
            'check that the file exists and is readable',
          )
        : mapS3Error(error, { operation: 'upload', settings, name });
    if (cleanup) mapped.message += ` (${cleanup})`;
    throw mapped;
  }

  const streamed = hasher.digest();
  if (hasher.bytes !== size || streamed !== expected) {
    await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key })).catch(() => undefined);
    throw new S3VerificationError(
      'content-sha256',
      expected,
      streamed,
      `the file ${options.file} changed during the upload, or its given SHA-256 is wrong ` +
        `(read ${hasher.bytes} bytes with SHA-256 ${streamed}, expected ${size} bytes ` +
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
