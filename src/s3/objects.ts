/**
 * Objects under S3_PREFIX: list (paginated), head, small JSON objects (manifests, the key-era register,
 * records), delete. Names are relative to the prefix; results carry both the name and the full key.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { assertUploadAllowed } from './upload-gate.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StepFailedError } from '../core/errors.js';
import type { S3Context } from './client.js';
import { S3VerificationError, isNotFound, mapS3Error, s3Call } from './errors.js';
import type { VersioningInfo } from './inspect.js';
import { SHA256_METADATA_KEY, validateMetadata } from './metadata.js';
import { keyFor, nameOf } from './settings.js';
import type { ObjectLockRetention, UploadResult } from './upload.js';

export interface ObjectInfo {
  name: string;
  key: string;
  size: number;
  lastModified?: Date;
  etag?: string;
  /** User metadata (with `withMetadata` on lists, always on head). */
  metadata?: Record<string, string>;
  /** The `sha256` metadata, when the object has it. */
  sha256?: string;
  versionId?: string;
}

interface SignalOption {
  signal?: AbortSignal;
}

export async function headObject(
  context: S3Context,
  name: string,
  options: SignalOption = {},
): Promise<ObjectInfo | undefined> {
  const { client, settings } = context;
  const key = keyFor(settings, name);
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: key }), {
      abortSignal: options.signal,
    });
    const info: ObjectInfo = { name, key, size: head.ContentLength ?? 0, metadata: head.Metadata ?? {} };
    if (head.LastModified) info.lastModified = head.LastModified;
    if (head.ETag) info.etag = head.ETag;
    if (head.VersionId) info.versionId = head.VersionId;
    const sha256 = head.Metadata?.[SHA256_METADATA_KEY];
    if (sha256) info.sha256 = sha256;
    return info;
  } catch (error) {
    if (!options.signal?.aborted && isNotFound(error)) return undefined;
    throw mapS3Error(error, { operation: 'read the object', settings, name });
  }
}

export interface ListOptions extends SignalOption {
  /** A folder inside S3_PREFIX (`dumps/`). */
  under?: string;
  /** Read each object's metadata too (one HeadObject per object). */
  withMetadata?: boolean;
  /** Keys per page (the provider's maximum, 1000 on S3, when unset). */
  pageSize?: number;
}

/** Every object under S3_PREFIX (or under `under` inside it), page by page. */
export async function* iterateObjects(context: S3Context, options: ListOptions = {}): AsyncGenerator<ObjectInfo> {
  const { client, settings } = context;
  const prefix = settings.prefix + (options.under ?? '');
  let token: string | undefined;
  do {
    const request = new ListObjectsV2Command({
      Bucket: settings.bucket,
      Prefix: prefix,
      ContinuationToken: token,
      MaxKeys: options.pageSize,
    });
    const page = await s3Call({ operation: 'list the bucket', settings, bucketLevel: true }, options.signal, () =>
      client.send(request, { abortSignal: options.signal }),
    );
    for (const entry of page.Contents ?? []) {
      if (!entry.Key) continue;
      const name = nameOf(settings, entry.Key);
      if (options.withMetadata) {
        const head = await headObject(context, name, options);
        if (head) yield head; // gone between the list and the head: skip it
        continue;
      }
      const info: ObjectInfo = { name, key: entry.Key, size: entry.Size ?? 0 };
      if (entry.LastModified) info.lastModified = entry.LastModified;
      if (entry.ETag) info.etag = entry.ETag;
      yield info;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export async function listObjects(context: S3Context, options: ListOptions = {}): Promise<ObjectInfo[]> {
  const all: ObjectInfo[] = [];
  for await (const info of iterateObjects(context, options)) all.push(info);
  return all;
}

export interface PutJsonOptions extends SignalOption {
  metadata?: Record<string, string>;
  /** The bucket has Object Lock: checksum the request, and set `retention` when given. */
  objectLock?: { retention?: ObjectLockRetention };
}

/** What a stored JSON object is, as an upload's result without Object Lock retention. */
export type PutJsonResult = Omit<UploadResult, 'retention'>;

export async function putJson(
  context: S3Context,
  name: string,
  value: unknown,
  options: PutJsonOptions = {},
): Promise<PutJsonResult> {
  const { client, settings } = context;
  await assertUploadAllowed(context, options.signal);
  const key = keyFor(settings, name);
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  const sha256 = createHash('sha256').update(body).digest('hex');
  const input: PutObjectCommandInput = {
    Bucket: settings.bucket,
    Key: key,
    Body: body,
    ContentLength: body.length,
    ContentType: 'application/json',
    Metadata: { ...validateMetadata(options.metadata ?? {}), [SHA256_METADATA_KEY]: sha256 },
  };
  if (options.objectLock) input.ChecksumAlgorithm = 'SHA256';
  const retention = options.objectLock?.retention;
  if (retention) {
    input.ObjectLockMode = retention.mode;
    input.ObjectLockRetainUntilDate = retention.retainUntil;
  }
  const output = await s3Call({ operation: 'write the object', settings, name }, options.signal, () =>
    client.send(new PutObjectCommand(input), { abortSignal: options.signal }),
  );
  const result: PutJsonResult = { name, key, size: body.length, sha256 };
  if (output.ETag) result.etag = output.ETag;
  if (output.VersionId) result.versionId = output.VersionId;
  return result;
}

const MAX_JSON_BYTES = 64 * 1024 * 1024;

export interface JsonObject<T> {
  value: T;
  size: number;
  etag?: string;
  lastModified?: Date;
}

/** Reads a JSON object; undefined when it does not exist. Checks its `sha256` metadata when it has one. */
export async function getJson<T = unknown>(
  context: S3Context,
  name: string,
  options: SignalOption = {},
): Promise<JsonObject<T> | undefined> {
  const { client, settings } = context;
  const key = keyFor(settings, name);
  let text: Buffer;
  let answer;
  try {
    answer = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }), {
      abortSignal: options.signal,
    });
    if ((answer.ContentLength ?? 0) > MAX_JSON_BYTES) {
      (answer.Body as Readable | undefined)?.destroy();
      throw new StepFailedError(
        `${key} is ${answer.ContentLength} bytes: too large for a JSON object of this tool`,
        'check S3_PREFIX and the object name',
      );
    }
    text = Buffer.from((await answer.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (error) {
    if (error instanceof StepFailedError) throw error;
    if (!options.signal?.aborted && isNotFound(error)) return undefined;
    throw mapS3Error(error, { operation: 'read the object', settings, name });
  }
  const expected = answer.Metadata?.[SHA256_METADATA_KEY];
  if (expected) {
    const actual = createHash('sha256').update(text).digest('hex');
    if (actual !== expected.toLowerCase()) {
      throw new S3VerificationError(
        'content-sha256',
        expected,
        actual,
        `${key} does not match its sha256 metadata (expected ${expected}, read ${actual})`,
        'the object was modified or damaged in the bucket: restore an earlier version or write it again',
      );
    }
  }
  let value: T;
  try {
    value = JSON.parse(text.toString('utf8')) as T;
  } catch (error) {
    throw new StepFailedError(
      `${key} is not valid JSON`,
      'the object was damaged or written by something else; check the bucket',
      error,
    );
  }
  const result: JsonObject<T> = { value, size: text.length };
  if (answer.ETag) result.etag = answer.ETag;
  if (answer.LastModified) result.lastModified = answer.LastModified;
  return result;
}

export interface DeletedObject {
  name: string;
  key: string;
  /** The delete only added a delete marker: the data is still in the bucket as a noncurrent version. */
  deleteMarker: boolean;
  versionId?: string;
}

export interface DeleteResult {
  deleted: DeletedObject[];
  /** True when the bucket is (or the answers show it is) versioned. */
  versioned: boolean;
  note?: string;
}

/**
 * Deletes objects one by one (DeleteObjects needs a Content-MD5 some providers reject). In a versioned bucket a
 * delete only adds a marker: say so, since retention (GDPR) then depends on a lifecycle rule.
 */
export async function deleteObjects(
  context: S3Context,
  names: readonly string[],
  options: SignalOption & { versioning?: VersioningInfo } = {},
): Promise<DeleteResult> {
  const { client, settings } = context;
  const deleted: DeletedObject[] = [];
  for (const name of names) {
    const key = keyFor(settings, name);
    const output = await s3Call({ operation: 'delete the object', settings, name }, options.signal, () =>
      client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }), { abortSignal: options.signal }),
    );
    const entry: DeletedObject = { name, key, deleteMarker: output.DeleteMarker === true };
    if (output.VersionId) entry.versionId = output.VersionId;
    deleted.push(entry);
  }
  const status = options.versioning?.status;
  const versioned = deleted.some((d) => d.deleteMarker) || status === 'enabled' || status === 'suspended';
  const result: DeleteResult = { deleted, versioned };
  if (versioned) {
    result.note =
      'the bucket is versioned: each delete only added a delete marker; the data stays as ' +
      'noncurrent versions until a lifecycle rule expires them';
  } else if (status === 'unknown' && deleted.length > 0) {
    result.note = "the bucket's versioning is unknown: if it is versioned, the data stays as noncurrent versions";
  }
  return result;
}
