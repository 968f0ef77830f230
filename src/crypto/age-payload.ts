/**
 * The age payload (age-encryption.org/v1, spec §"Payload"): after the header, a 16-byte random nonce, then
 * the plaintext in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under
 *   payload key = HKDF-SHA256(ikm = file key, salt = nonce, info = "payload")
 * and the 12-byte chunk nonce = 11-byte big-endian chunk counter || last-chunk flag (0x01 on the last, else 0x00).
 * Every chunk but the last is full; the last may be short, and is empty only when the whole payload is.
 * Node's built-in cipher is used: typage's pure-JavaScript one is several times slower.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const NONCE_SIZE = 16;
const ALGORITHM = 'chacha20-poly1305';

export function derivePayloadKey(fileKey: Buffer, nonce: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

/** The chunk nonce. The counter fits in 6 of the 11 bytes (2^48 chunks of 64 KiB is 16 EiB). */
export function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Seals one chunk given as pieces (no copy of the input); returns ciphertext || tag. */
export function sealChunk(key: Buffer, counter: number, last: boolean, pieces: readonly Buffer[]): Buffer[] {
  const cipher = createCipheriv(ALGORITHM, key, chunkNonce(counter, last), { authTagLength: TAG_SIZE });
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(cipher.update(piece));
  out.push(cipher.final(), cipher.getAuthTag());
  return out;
}

/**
 * Opens one chunk (ciphertext pieces and its tag); null when it does not authenticate. The plaintext is
 * returned only after the tag checked, so that nothing unauthenticated ever leaves.
 */
export function openChunk(
  key: Buffer,
  counter: number,
  last: boolean,
  pieces: readonly Buffer[],
  tag: Buffer,
): Buffer[] | null {
  const decipher = createDecipheriv(ALGORITHM, key, chunkNonce(counter, last), { authTagLength: TAG_SIZE });
  decipher.setAuthTag(tag);
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(decipher.update(piece));
  try {
    out.push(decipher.final());
  } catch {
    return null;
  }
  return out;
}

/** A FIFO of buffers that hands out byte ranges as views (no copy unless asked for). */
export class ByteQueue {
  #pieces: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.#pieces.push(data);
    this.#length += data.length;
  }

  /** Removes and returns the first `count` bytes as views over the queued buffers. */
  take(count: number): Buffer[] {
    if (count > this.#length) throw new RangeError('ByteQueue.take: not enough bytes');
    const out: Buffer[] = [];
    let missing = count;
    while (missing > 0) {
      const head = this.#pieces[0] as Buffer;
      if (head.length <= missing) {
        out.push(head);
        this.#pieces.shift();
        missing -= head.length;
      } else {
        out.push(head.subarray(0, missing));
        this.#pieces[0] = head.subarray(missing);
        missing = 0;
      }
    }
    this.#length -= count;
    return out;
  }

  /** Removes the first `count` bytes as one buffer. */
  takeBuffer(count: number): Buffer {
    const pieces = this.take(count);
    return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, count);
  }
}
