/**
 * Streaming age encryption as a Node Transform: plaintext in, an age-encryption.org/v1 file out, in bounded
 * memory (at most one chunk plus the stream buffers). It fits in a `stream.pipeline` between `pg_dump`
 * stdout and a file or an upload. Output: header (typage) || 16-byte nonce || sealed chunks (Node crypto).
 */
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createHeader, type NewHeader } from './age-header.js';
import type { AgeRecipient } from './age-keys.js';
import { ByteQueue, CHUNK_SIZE, derivePayloadKey, NONCE_SIZE, sealChunk } from './age-payload.js';

export class AgeEncryptStream extends Transform {
  readonly recipients: readonly AgeRecipient[];
  #header: Promise<NewHeader>;
  #key: Buffer | undefined;
  #counter = 0;
  readonly #pending = new ByteQueue();

  /** `recipients` come from the parsers of age-keys.ts (validated X25519 recipients). */
  constructor(recipients: readonly AgeRecipient[]) {
    super({ writableHighWaterMark: CHUNK_SIZE, readableHighWaterMark: CHUNK_SIZE });
    if (recipients.length === 0) throw new Error('AgeEncryptStream: no recipient');
    this.recipients = [...recipients];
    this.#header = createHeader(this.recipients);
    this.#header.catch(() => undefined); // reported by the first write or flush, not as an unhandled rejection
  }

  /** Writes the header and nonce before the first chunk; derives the payload key. */
  async #start(): Promise<Buffer> {
    if (this.#key) return this.#key;
    const { header, fileKey } = await this.#header;
    const nonce = randomBytes(NONCE_SIZE);
    this.#key = derivePayloadKey(fileKey, nonce);
    fileKey.fill(0);
    this.push(Buffer.concat([header, nonce]));
    return this.#key;
  }

  #seal(key: Buffer, count: number, last: boolean): void {
    const sealed = sealChunk(key, this.#counter, last, count === 0 ? [] : this.#pending.take(count));
    this.#counter += 1;
    for (const piece of sealed) if (piece.length > 0) this.push(piece);
  }

  #sealFullChunks(key: Buffer, chunk: Buffer): void {
    this.#pending.push(chunk);
    // Strictly more than a chunk: a full chunk may be the last one, which only the end can tell.
    while (this.#pending.length > CHUNK_SIZE) this.#seal(key, CHUNK_SIZE, false);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#key) {
      this.#sealFullChunks(this.#key, chunk);
      callback();
      return;
    }
    this.#start().then(
      (key) => {
        this.#sealFullChunks(key, chunk);
        callback();
      },
      (error: unknown) => callback(error as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    this.#start().then(
      (key) => {
        // 0 bytes only when the whole payload is empty; a full last chunk stays full and is marked last.
        this.#seal(key, this.#pending.length, true);
        callback();
      },
      (error: unknown) => callback(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#key?.fill(0);
    callback(error);
  }
}

export function createAgeEncryptStream(recipients: readonly AgeRecipient[]): AgeEncryptStream {
  return new AgeEncryptStream(recipients);
}
