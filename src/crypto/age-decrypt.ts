/**
 * Streaming age decryption as a Node Transform: an age-encryption.org/v1 file in, plaintext out, in bounded
 * memory. It fits in a `stream.pipeline` between an S3 GetObject body (or a file) and a file or
 * `pg_restore` stdin.
 *
 * Chunks are released only once authenticated, but chunks before the last are released before the end is
 * seen: completeness is proven only by the last-chunk flag, so a truncated file makes the stream fail at
 * its end (AgeTruncatedError). Treat the output as valid only when the pipeline resolves (write to
 * `*.partial` and rename after).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { AgeAuthenticationError, AgeHeaderError, AgeNotAgeFileError, AgeTruncatedError } from './age-errors.js';
import { headerLength, MAX_HEADER_SIZE, openHeader, VERSION_LINE } from './age-header.js';
import type { AgeIdentity } from './age-keys.js';
import { ByteQueue, derivePayloadKey, NONCE_SIZE, openChunk, SEALED_CHUNK_SIZE, TAG_SIZE } from './age-payload.js';

const ARMOR_START = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----', 'latin1');

type Phase = 'header' | 'nonce' | 'payload';

function startsLike(data: Buffer, expected: Buffer): boolean {
  const length = Math.min(data.length, expected.length);
  return data.subarray(0, length).equals(expected.subarray(0, length));
}

export class AgeDecryptStream extends Transform {
  readonly #identities: readonly AgeIdentity[];
  #phase: Phase = 'header';
  #header: Buffer = Buffer.alloc(0);
  #fileKey: Buffer | undefined;
  #key: Buffer | undefined;
  #counter = 0;
  readonly #pending = new ByteQueue();

  /** `identities` come from the parsers of age-keys.ts. */
  constructor(identities: readonly AgeIdentity[]) {
    super({ writableHighWaterMark: SEALED_CHUNK_SIZE, readableHighWaterMark: SEALED_CHUNK_SIZE });
    if (identities.length === 0) throw new Error('AgeDecryptStream: no identity');
    this.#identities = [...identities];
  }

  /** Accumulates the header (bounded); returns the header bytes once complete, after checking the version. */
  #collectHeader(chunk: Buffer): Buffer | undefined {
    this.#header = this.#header.length === 0 ? chunk : Buffer.concat([this.#header, chunk]);
    if (!startsLike(this.#header, VERSION_LINE)) {
      throw new AgeNotAgeFileError(
        startsLike(this.#header, ARMOR_START)
          ? 'it is ASCII-armored (age -a); decrypt it with `age -d`, or store dumps unarmored'
          : 'it does not start with "age-encryption.org/v1"',
      );
    }
    const length = headerLength(this.#header);
    if (length < 0) {
      if (this.#header.length > MAX_HEADER_SIZE) {
        throw new AgeHeaderError(`no end of header within its first ${MAX_HEADER_SIZE} bytes`);
      }
      return undefined;
    }
    const header = this.#header.subarray(0, length);
    this.#pending.push(this.#header.subarray(length));
    this.#header = Buffer.alloc(0);
    return header;
  }

  #openChunk(last: boolean, sealedLength: number): Buffer[] | null {
    const pieces = this.#pending.take(sealedLength - TAG_SIZE);
    const tag = this.#pending.takeBuffer(TAG_SIZE);
    const plaintext = openChunk(this.#key as Buffer, this.#counter, last, pieces, tag);
    if (plaintext === null && last && sealedLength === SEALED_CHUNK_SIZE) {
      // A full chunk that authenticates as a middle chunk proves the chunks after it are missing.
      if (openChunk(this.#key as Buffer, this.#counter, false, pieces, tag)) {
        throw new AgeTruncatedError(`it ends after chunk ${this.#counter}, which is not marked last`);
      }
    }
    if (plaintext === null && !last) {
      throw new AgeAuthenticationError(`chunk ${this.#counter} (a middle chunk) does not authenticate`);
    }
    if (plaintext !== null) this.#counter += 1;
    return plaintext;
  }

  #pushAll(pieces: readonly Buffer[]): void {
    for (const piece of pieces) if (piece.length > 0) this.push(piece);
  }

  /** Advances as far as the buffered bytes allow; the chunk kept back may be the last one. */
  #advance(): void {
    if (this.#phase === 'nonce' && this.#pending.length >= NONCE_SIZE) {
      this.#key = derivePayloadKey(this.#fileKey as Buffer, this.#pending.takeBuffer(NONCE_SIZE));
      this.#fileKey?.fill(0);
      this.#phase = 'payload';
    }
    if (this.#phase !== 'payload') return;
    while (this.#pending.length > SEALED_CHUNK_SIZE) this.#pushAll(this.#openChunk(false, SEALED_CHUNK_SIZE) ?? []);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (this.#phase !== 'header') {
        this.#pending.push(chunk);
        this.#advance();
        callback();
        return;
      }
      const header = this.#collectHeader(chunk);
      if (!header) {
        callback();
        return;
      }
      openHeader(header, this.#identities).then(
        (fileKey) => {
          try {
            this.#fileKey = fileKey;
            this.#phase = 'nonce';
            this.#advance();
            callback();
          } catch (error) {
            callback(error as Error);
          }
        },
        (error: unknown) => callback(error as Error),
      );
    } catch (error) {
      callback(error as Error);
    }
  }

  #finish(): void {
    if (this.#phase === 'header') {
      if (this.#header.length === 0) throw new AgeNotAgeFileError('the input is empty');
      throw new AgeTruncatedError('it ends inside the header');
    }
    if (this.#phase === 'nonce') throw new AgeTruncatedError('it ends before the payload nonce');
    const remaining = this.#pending.length;
    const first = this.#counter === 0;
    if (remaining < TAG_SIZE) {
      if (remaining > 0) throw new AgeTruncatedError('it ends inside a chunk');
      throw new AgeTruncatedError(
        first
          ? 'it ends right after the payload nonce'
          : `it ends after chunk ${this.#counter - 1}, without a last chunk`,
      );
    }
    const plaintext = this.#openChunk(true, remaining);
    if (plaintext === null) {
      if (remaining === TAG_SIZE && !first) throw new AgeTruncatedError('it ends inside a chunk');
      throw new AgeAuthenticationError(
        `the last chunk received (chunk ${this.#counter}) does not authenticate: the file was ` +
          `altered, or cut short inside a chunk`,
        true,
      );
    }
    if (remaining === TAG_SIZE && !first) {
      throw new AgeAuthenticationError('the last chunk is empty, which age allows only for an empty payload');
    }
    this.#pushAll(plaintext);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#finish();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#fileKey?.fill(0);
    this.#key?.fill(0);
    callback(error);
  }
}

export function createAgeDecryptStream(identities: readonly AgeIdentity[]): AgeDecryptStream {
  return new AgeDecryptStream(identities);
}
