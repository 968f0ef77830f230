/** SHA-256 while data streams through, and of whole files; hex digests, lowercase. */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { UsageError } from '../core/errors.js';
import { noteStreamed } from '../core/young-gc.js';

/** What sha256OfFile reads at a time, into one buffer reused read after read. */
export const FILE_READ_SIZE = 1 << 20;

/** A pass-through that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private digestHex: string | undefined;
  bytes = 0;
  private readonly onBytes: ((bytes: number) => void) | undefined;

  constructor(onBytes?: (bytes: number) => void) {
    super();
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    noteStreamed(chunk.length);
    callback(null, chunk);
  }

  /** Hashes bytes that do not flow on (the rest of an object after the pipeline it fed has failed). */
  hashMore(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    noteStreamed(chunk.length);
  }

  /** The digest of everything that went through (call once the stream has ended). */
  digest(): string {
    this.digestHex ??= this.hash.digest('hex');
    return this.digestHex;
  }
}

export async function sha256OfFile(
  file: string,
  options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(FILE_READ_SIZE);
  let size = 0;
  const handle = await open(file, 'r');
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
      options.onBytes?.(size);
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), size };
}

export function normalizeSha256(value: string, what = 'SHA-256'): string {
  const v = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(v)) {
    throw new UsageError(`${what} must be 64 hexadecimal characters`, 'give the SHA-256 as printed by sha256sum');
  }
  return v;
}
