/** SHA-256 while data streams through, and of whole files; hex digests, lowercase. */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../core/errors.js';

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
    callback(null, chunk);
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
  const hasher = new HashingStream(options.onBytes);
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) void chunk;
  };
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), hasher, sink, { signal: options.signal });
  return { sha256: hasher.digest(), size: hasher.bytes };
}

export function normalizeSha256(value: string, what = 'SHA-256'): string {
  const v = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(v)) {
    throw new UsageError(`${what} must be 64 hexadecimal characters`, 'give the SHA-256 as printed by sha256sum');
  }
  return v;
}
