/**
 * An object's body that survives a dropped connection, for a pipeline that reads it once (the restore's fetch,
 * decryption and hashes in one pass): when the body stops short of the object's size (a reset, a premature close,
 * a proxy cutting a long transfer), the rest is asked for again from the byte reached, with a ranged GetObject
 * `If-Match` the first answer's ETag so that bytes of a replaced object are never spliced in. Nothing is written
 * anywhere by this module; the reader decides what the bytes become.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { S3Context } from './client.js';
import { S3VerificationError, abortErrorOf, mapS3Error, s3Call } from './errors.js';
import { SHA256_METADATA_KEY } from './metadata.js';
import { keyFor } from './settings.js';

/** Ranged requests in a row without a byte received before the read gives up. */
export const MAX_RESUMES_WITHOUT_PROGRESS = 3;

export interface ResumableObject {
  name: string;
  key: string;
  size: number;
  /** The object's `sha256` metadata, when it has one. */
  sha256?: string;
  etag?: string;
  /** The content, from byte 0 to `size`, whatever connections it took. */
  body: Readable;
  /** The ranged requests made after a connection dropped. */
  resumes: () => number;
}

interface Answer {
  body: Readable;
  size: number;
  sha256?: string;
  etag?: string;
}

/** The object from byte `from` (a GetObject, ranged when `from` > 0 or `length` is given). */
export async function getObjectFrom(
  context: S3Context,
  name: string,
  options: { from?: number; length?: number; etag?: string | undefined; signal?: AbortSignal | undefined },
): Promise<Answer> {
  const { client, settings } = context;
  const from = options.from ?? 0;
  const range =
    from > 0 || options.length !== undefined
      ? `bytes=${from}-${options.length !== undefined ? from + options.length - 1 : ''}`
      : undefined;
  const command = new GetObjectCommand({
    Bucket: settings.bucket,
    Key: keyFor(settings, name),
    ...(range ? { Range: range } : {}),
    ...(options.etag ? { IfMatch: options.etag } : {}),
  });
  const answer = await s3Call({ operation: 'download', settings, name }, options.signal, () =>
    client.send(command, { abortSignal: options.signal }),
  );
  if (!(answer.Body instanceof Readable)) {
    throw mapS3Error(new Error('the response has no readable body'), { operation: 'download', settings, name });
  }
  const result: Answer = { body: answer.Body, size: answer.ContentLength ?? 0 };
  const sha256 = answer.Metadata?.[SHA256_METADATA_KEY];
  if (sha256) result.sha256 = sha256.toLowerCase();
  if (answer.ETag) result.etag = answer.ETag;
  return result;
}

function shortError(context: S3Context, name: string, done: number, size: number): S3VerificationError {
  return new S3VerificationError(
    'size',
    String(size),
    String(done),
    `the download of ${context.settings.bucket}/${keyFor(context.settings, name)} ended after ${done} of ` +
      `${size} bytes`,
    'the connection dropped or the object changed during the download: download it again',
  );
}

/** Yields the object's bytes, asking for the rest again each time a body stops short. */
async function* resumingChunks(
  context: S3Context,
  name: string,
  first: Answer & { from: number },
  state: { resumes: number },
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const size = first.size;
  let body = first.body;
  let done = 0;
  let failedAt = -1;
  let inARow = 0;
  try {
    for (;;) {
      let failure: unknown;
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          done += chunk.length;
          yield chunk;
        }
      } catch (error) {
        failure = error;
      }
      if (failure === undefined && done === size) return;
      body.destroy();
      if (signal?.aborted) throw abortErrorOf(signal);
      if (done > size) throw shortError(context, name, first.from + done, first.from + size);
      inARow = done > failedAt ? 1 : inARow + 1;
      failedAt = done;
      if (inARow > MAX_RESUMES_WITHOUT_PROGRESS) {
        throw failure === undefined
          ? shortError(context, name, first.from + done, first.from + size)
          : mapS3Error(failure, { operation: 'download', settings: context.settings, name });
      }
      state.resumes += 1;
      body = (await getObjectFrom(context, name, { from: first.from + done, etag: first.etag, signal })).body;
    }
  } finally {
    body.destroy();
  }
}

/** Opens the object (one GetObject, whose answer gives the size, ETag and metadata) for one streamed read. */
export async function openResumableObject(
  context: S3Context,
  name: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<ResumableObject> {
  const first = await getObjectFrom(context, name, { signal: options.signal });
  const state = { resumes: 0 };
  const object: ResumableObject = {
    name,
    key: keyFor(context.settings, name),
    size: first.size,
    body: Readable.from(resumingChunks(context, name, { ...first, from: 0 }, state, options.signal), {
      objectMode: false,
    }),
    resumes: () => state.resumes,
  };
  if (first.sha256) object.sha256 = first.sha256;
  if (first.etag) object.etag = first.etag;
  return object;
}

/** Reads the object from byte `from` to its end into `update` (a hash's), resuming like the body above. */
export async function readObjectRest(
  context: S3Context,
  name: string,
  from: number,
  update: (chunk: Buffer) => void,
  options: { etag?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const first = await getObjectFrom(context, name, { from, etag: options.etag, signal: options.signal });
  const rest = resumingChunks(context, name, { ...first, from }, { resumes: 0 }, options.signal);
  for await (const chunk of rest) update(chunk);
}
