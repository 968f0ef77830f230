/**
 * A file's multipart upload with the parts read into buffers reused part after part: `queueSize` buffers of the
 * part size, one per part in flight, each read from the file, hashed, sent, and read into again once S3 has
 * answered for it. Nothing is allocated per part (lib-storage concatenated every part out of the stream's chunks,
 * so each part was allocated twice and the peak RSS waited on V8's collection of those external buffers).
 *
 * The caller hashes the file through `onRead`, called in file order; a part's buffer is never written while a
 * request still holds it (the SDK's retries resend the same buffer). A file still being written (the dump while
 * it is dumped) is read part by part as its bytes reach the disk: `size` then says how long each part is.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { FileHandle } from 'node:fs/promises';

export interface MultipartOptions {
  client: S3Client;
  params: PutObjectCommandInput;
  file: FileHandle;
  /**
   * The file's size, or, for a file still being written, the length of part `index` once its bytes are on disk
   * (0 past the end: the upload completes).
   */
  size: number | ((index: number) => Promise<number>);
  partSize: number;
  queueSize: number;
  signal: AbortSignal;
  onRead: (bytes: Buffer) => void;
  onPartDone: (bytes: number) => void;
  /** Called once every part is sent, before the upload is completed; throwing leaves it uncompleted. */
  beforeComplete?: () => void;
  /** Set as soon as S3 gave the upload its id, so that a failure can abort it. */
  onUploadId: (id: string) => void;
}

/** A read of the file that failed or came up short (the file changed or vanished): not the bucket's fault. */
export class FileReadError extends Error {
  override name = 'FileReadError';
}

export async function readFully(file: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.read(buffer, done, length - done, position + done));
    } catch (error) {
      throw new FileReadError((error as Error).message, { cause: error });
    }
    if (bytesRead === 0) throw new FileReadError(`the file ended at ${position + done} bytes of ${position + length}`);
    done += bytesRead;
  }
}

function createParams(params: PutObjectCommandInput): PutObjectCommandInput {
  const { Body: _body, ContentLength: _length, ...rest } = params;
  return rest;
}

function partLengths(size: MultipartOptions['size'], partSize: number): (index: number) => Promise<number> {
  if (typeof size !== 'number') return size;
  return (index) => Promise.resolve(Math.max(0, Math.min(partSize, size - index * partSize)));
}

/**
 * Frees a part buffer's memory at once instead of at V8's next full collection (the buffers live long enough to
 * reach the old generation): the copy's read-back that follows would otherwise find them still held. Only once
 * S3 has answered for every part, so that no request still reads them; only a buffer with a memory of its own.
 */
function release(buffer: Buffer): void {
  const memory = buffer.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (buffer.byteOffset === 0 && memory.byteLength === buffer.length) memory.transfer?.(0);
}

/** Sends every part, `queueSize` at a time, and completes the upload; returns CompleteMultipartUpload's answer. */
export async function multipartUpload(options: MultipartOptions) {
  const { client, params, size, partSize, signal } = options;
  const created = await client.send(new CreateMultipartUploadCommand(createParams(params)), { abortSignal: signal });
  const uploadId = created.UploadId!;
  options.onUploadId(uploadId);
  const bufferSize = typeof size === 'number' ? Math.min(partSize, size) : partSize;
  const buffers = Array.from({ length: options.queueSize }, () => Buffer.allocUnsafe(bufferSize));
  const slots: (Promise<void> | undefined)[] = buffers.map(() => undefined);
  const parts: CompletedPart[] = [];
  const lengthOf = partLengths(size, partSize);
  let failure: unknown;
  for (let index = 0; failure === undefined; index++) {
    const slot = index % buffers.length;
    await slots[slot];
    if (failure !== undefined) break;
    const length = await lengthOf(index);
    if (length === 0) break;
    const body = buffers[slot]!.subarray(0, length);
    await readFully(options.file, body, length, index * partSize);
    options.onRead(body);
    const input = { Bucket: params.Bucket, Key: params.Key, UploadId: uploadId, PartNumber: index + 1 };
    const command = new UploadPartCommand({
      ...input,
      Body: body,
      ContentLength: length,
      ...(params.ChecksumAlgorithm ? { ChecksumAlgorithm: params.ChecksumAlgorithm } : {}),
    });
    slots[slot] = client.send(command, { abortSignal: signal }).then(
      (answer) => {
        parts[index] = { PartNumber: index + 1, ETag: answer.ETag, ChecksumSHA256: answer.ChecksumSHA256 };
        options.onPartDone(length);
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
  }
  await Promise.all(slots);
  if (failure !== undefined) throw failure;
  for (const buffer of buffers) release(buffer);
  if (parts.length === 0) throw new FileReadError('the file is empty');
  options.beforeComplete?.();
  const complete = new CompleteMultipartUploadCommand({
    Bucket: params.Bucket,
    Key: params.Key,
    UploadId: uploadId,
    MultipartUpload: { Parts: parts },
  });
  return client.send(complete, { abortSignal: signal });
}
