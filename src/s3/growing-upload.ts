/**
 * The upload of a file while it is still being written (the dump while pg_dump runs, issue 14): parts of 5 MiB are
 * read from the file as its bytes reach the disk, into the two buffers multipart.ts reuses part after part, and
 * sent at once; the writer never waits for the bucket (a slow or dead bucket only makes the upload lag or fail).
 * Once the writer says the file is complete (its size and SHA-256, verified on disk), the rest is read and the
 * upload completes only if what was read hashes to that SHA-256.
 *
 * The object's `sha256` metadata (the bucket's contract: DESIGN "Bucket") cannot be set when a multipart upload is
 * created, before the hash is known: it is set afterwards by copying the object onto itself with the metadata
 * replaced (a copy inside the bucket, no bytes sent again), and the interim version is deleted where the bucket
 * keeps versions. A file that ends within one part goes up as one PutObject with its metadata, as upload.ts does.
 * Callers keep buckets with Object Lock off this path (the interim version would stay locked) and objects over
 * 5 GiB (CopyObject's limit): the file is then uploaded after it is written, as before.
 */
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Context } from './client.js';
import { S3VerificationError, abortErrorOf, mapS3Error } from './errors.js';
import { normalizeSha256 } from './hash.js';
import { SHA256_METADATA_KEY } from './metadata.js';
import { FileReadError, multipartUpload, readFully } from './multipart.js';
import { keyFor } from './settings.js';
import { UPLOAD_QUEUE_SIZE, type UploadResult } from './upload.js';
import { assertUploadAllowed } from './upload-gate.js';

/** CopyObject copies up to 5 GiB; a larger file is left to the upload after the dump. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;
/**
 * S3's smallest part (5 MiB, every part but the last): two in flight hold 10.5 MB during the whole dump instead of
 * 16.8 MB with upload.ts's 8 MiB. At most 1,024 parts, since the file stays within MAX_COPY_BYTES.
 */
export const GROWING_PART_SIZE = 5 * 1024 * 1024;
const POLL_MS = 25;

export interface CompleteFile {
  size: number;
  sha256: string;
}

export interface GrowingUploadOptions {
  /** The file being written (it may be renamed or linked meanwhile: the open handle follows it). */
  path: string;
  /** Object name under S3_PREFIX. */
  name: string;
  contentType?: string;
  signal?: AbortSignal;
  /** Awaited before anything is sent (the caller's own checks); a rejection ends the upload with that error. */
  ready?: Promise<void>;
  /** Tests only: smaller parts (S3 refuses parts under 5 MiB but the last). */
  partSize?: number;
  onProgress?: (done: number) => void;
}

export interface GrowingUpload {
  /** The writer is done and has verified the file: the upload reads the rest and completes. */
  finish(file: CompleteFile): void;
  /** The writer failed or stopped: the upload is aborted and no object is created. */
  cancel(reason: string): void;
  /** The uploaded object, or why there is none (never rejects with an unmapped error). */
  readonly done: Promise<UploadResult>;
}

/** The caller's `ready` decided against this upload (for instance a bucket with Object Lock). */
export class UploadNotStarted extends Error {
  override name = 'UploadNotStarted';
}

/** A file that is not there as the writer said: never completed as an object. */
export class GrowingFileError extends Error {
  override name = 'GrowingFileError';
}

class Writer {
  complete?: CompleteFile;
  cancelled?: string;
  private wake?: () => void;

  notify(): void {
    this.wake?.();
  }

  /** Resolves when the file holds `end` bytes or the writer is done; throws when it was cancelled. */
  async waitFor(file: FileHandle, end: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (this.cancelled !== undefined) throw new GrowingFileError(this.cancelled);
      if (this.complete || (await file.stat()).size >= end) return;
      const woken = new Promise<void>((resolve) => (this.wake = resolve));
      await Promise.race([woken, sleep(POLL_MS, undefined, { signal })]);
    }
  }
}

export function startGrowingUpload(context: S3Context, options: GrowingUploadOptions): GrowingUpload {
  const writer = new Writer();
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const done = uploadGrowing(context, options, writer, signal).catch((error: unknown) => {
    throw failureOf(error, context, options, writer);
  });
  done.catch(() => undefined); // the caller reads `done` when it needs the outcome
  return {
    finish(file) {
      writer.complete = file;
      writer.notify();
    },
    cancel(reason) {
      writer.cancelled ??= reason;
      writer.notify();
      stop.abort(new GrowingFileError(reason));
    },
    done,
  };
}

function failureOf(error: unknown, context: S3Context, options: GrowingUploadOptions, writer: Writer): Error {
  if (options.signal?.aborted) return abortErrorOf(options.signal);
  if (error instanceof UploadNotStarted) return error;
  if (writer.cancelled !== undefined) return new GrowingFileError(writer.cancelled);
  if (error instanceof GrowingFileError || error instanceof FileReadError || error instanceof S3VerificationError)
    return error;
  return mapS3Error(error, { operation: 'upload', settings: context.settings, name: options.name });
}

async function uploadGrowing(
  context: S3Context,
  options: GrowingUploadOptions,
  writer: Writer,
  signal: AbortSignal,
): Promise<UploadResult> {
  await options.ready;
  await assertUploadAllowed(context, signal);
  const partSize = options.partSize ?? GROWING_PART_SIZE;
  const file = await open(options.path, 'r');
  try {
    await writer.waitFor(file, partSize + 1, signal);
    const whole = writer.complete;
    if (whole && whole.size <= partSize) return await putWhole(context, options, file, whole, signal);
    return await uploadParts(context, options, { file, writer, partSize, signal });
  } finally {
    await file.close();
  }
}

/** A file within one part: one PutObject with its metadata, as upload.ts sends it. */
async function putWhole(
  context: S3Context,
  options: GrowingUploadOptions,
  file: FileHandle,
  whole: CompleteFile,
  signal: AbortSignal,
): Promise<UploadResult> {
  const body = Buffer.allocUnsafe(whole.size);
  await readFully(file, body, whole.size, 0);
  const sha256 = checkRead(createHash('sha256').update(body).digest('hex'), whole.size, whole);
  const key = keyFor(context.settings, options.name);
  const output = await context.client.send(
    new PutObjectCommand({
      Bucket: context.settings.bucket,
      Key: key,
      Body: body,
      ContentLength: whole.size,
      ContentType: options.contentType ?? 'application/octet-stream',
      Metadata: { [SHA256_METADATA_KEY]: sha256 },
    }),
    { abortSignal: signal },
  );
  options.onProgress?.(whole.size);
  return resultOf(options.name, key, whole.size, sha256, output);
}

function checkRead(actual: string, bytes: number, expected: CompleteFile): string {
  const sha256 = normalizeSha256(expected.sha256);
  if (bytes !== expected.size || actual !== sha256) {
    throw new S3VerificationError(
      'content-sha256',
      sha256,
      actual,
      `the file read for the upload (${bytes} bytes, SHA-256 ${actual}) is not the one written ` +
        `(${expected.size} bytes, ${sha256}): nothing was completed in the bucket`,
      'make sure nothing else writes to BACKUP_DIR; the upload after the dump sends the file again',
    );
  }
  return sha256;
}

function resultOf(
  name: string,
  key: string,
  size: number,
  sha256: string,
  output: { ETag?: string | undefined; VersionId?: string | undefined },
): UploadResult {
  const result: UploadResult = { name, key, size, sha256 };
  if (output.ETag) result.etag = output.ETag;
  if (output.VersionId) result.versionId = output.VersionId;
  return result;
}

interface PartsRun {
  file: FileHandle;
  writer: Writer;
  partSize: number;
  signal: AbortSignal;
}

/** The length of part `index` once its bytes are on disk (0 past the end of a complete file). */
function partLength(run: PartsRun) {
  return async (index: number): Promise<number> => {
    const start = index * run.partSize;
    await run.writer.waitFor(run.file, start + run.partSize, run.signal);
    const complete = run.writer.complete;
    const size = complete?.size ?? start + run.partSize;
    if (size > MAX_COPY_BYTES) throw new GrowingFileError('the file is larger than 5 GiB, what one CopyObject copies');
    if (!complete) return run.partSize;
    return Math.max(0, Math.min(run.partSize, complete.size - start));
  };
}

async function uploadParts(context: S3Context, options: GrowingUploadOptions, run: PartsRun): Promise<UploadResult> {
  const { client, settings } = context;
  const key = keyFor(settings, options.name);
  const contentType = options.contentType ?? 'application/octet-stream';
  const hash = createHash('sha256');
  const state = { uploadId: undefined as string | undefined, read: 0, sent: 0 };
  try {
    const completed = await multipartUpload({
      client,
      params: { Bucket: settings.bucket, Key: key, ContentType: contentType },
      file: run.file,
      size: partLength(run),
      partSize: run.partSize,
      queueSize: UPLOAD_QUEUE_SIZE,
      signal: run.signal,
      onRead: (bytes) => {
        hash.update(bytes);
        state.read += bytes.length;
      },
      // Never complete an object that is not the file written: checked before CompleteMultipartUpload.
      beforeComplete: () => checkRead(hash.copy().digest('hex'), state.read, run.writer.complete!),
      onPartDone: (bytes) => options.onProgress?.((state.sent += bytes)),
      onUploadId: (id) => (state.uploadId = id),
    });
    const sha256 = checkRead(hash.digest('hex'), state.read, run.writer.complete!);
    const copied = await setSha256(client, settings.bucket, key, { sha256, contentType }, run.signal);
    await dropInterimVersion(client, settings.bucket, key, completed.VersionId, copied.VersionId);
    return resultOf(options.name, key, state.read, sha256, {
      ETag: copied.CopyObjectResult?.ETag,
      VersionId: copied.VersionId,
    });
  } catch (error) {
    if (state.uploadId) await abortUpload(client, settings.bucket, key, state.uploadId);
    throw error;
  }
}

/** The object copied onto itself with its `sha256` metadata: the bucket's contract, once the hash is known. */
function setSha256(
  client: S3Client,
  bucket: string,
  key: string,
  object: { sha256: string; contentType: string },
  signal: AbortSignal,
) {
  const source = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return client.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: source,
      MetadataDirective: 'REPLACE',
      Metadata: { [SHA256_METADATA_KEY]: object.sha256 },
      ContentType: object.contentType,
    }),
    { abortSignal: signal },
  );
}

/** In a versioned bucket the copy is a new version: the one without metadata goes. */
async function dropInterimVersion(
  client: S3Client,
  bucket: string,
  key: string,
  interim: string | undefined,
  current: string | undefined,
): Promise<void> {
  if (!interim || interim === 'null' || interim === current) return;
  await client
    .send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: interim }))
    // A noncurrent version left behind costs storage until a lifecycle rule expires it; the copy itself is sound.
    .catch(() => undefined);
}

async function abortUpload(client: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  await client
    .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
    // Parts left by an unreachable bucket are removed by a lifecycle rule with AbortIncompleteMultipartUpload.
    .catch(() => undefined);
}
