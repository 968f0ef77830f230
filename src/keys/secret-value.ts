/**
 * Obexal's encrypted values (DESIGN §5): AES-256-GCM, key = base64 of 32 bytes, stored as
 * base64(nonce 12 bytes ‖ ciphertext ‖ tag 16 bytes). No key id is stored, so a reader tries each key in turn.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { RunbookError, UsageError } from '../core/errors.js';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** No key given could decrypt a stored value (or the value is not in Obexal's format). */
export class SecretDecryptionError extends RunbookError {
  readonly keysTried: number;
  constructor(message: string, keysTried: number, hint?: string) {
    super(message, {
      hint:
        hint ??
        'the value was encrypted under a key you did not supply: add the key of its era ' +
          '(ENCRYPTION_KEY_OLD) or select another key era',
    });
    this.keysTried = keysTried;
  }
}

/** Parses `ENCRYPTION_KEY`-style text. The value itself never appears in the error. */
export function parseEncryptionKey(base64: string, label = 'encryption key'): Buffer {
  const text = base64.trim();
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new UsageError(
      `${label} is not valid base64`,
      'an Obexal key is the base64 of 32 random bytes (44 characters ending in "="), e.g. from ' +
        '`openssl rand -base64 32`',
    );
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new UsageError(
      `${label} decodes to ${key.length} bytes, not ${KEY_BYTES}`,
      'an Obexal key is the base64 of exactly 32 bytes (44 characters ending in "="); check that ' +
        'the whole value was copied',
    );
  }
  return key;
}

export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) {
    throw new UsageError(
      `encryption key has ${key.length} bytes, not ${KEY_BYTES}`,
      'parse keys with parseEncryptionKey',
    );
  }
}

export function encryptSecret(plaintext: string, key: Buffer): string {
  assertKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

/** Decrypts with one key; undefined when the tag does not verify. */
function tryDecrypt(raw: Buffer, key: Buffer): string | undefined {
  const nonce = raw.subarray(0, NONCE_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Tries each key in order (current first, then the old ones); `keyIndex` says which one opened the value. */
export function decryptSecret(stored: string, keys: readonly Buffer[]): { plaintext: string; keyIndex: number } {
  const text = stored.trim();
  const raw = Buffer.from(text, 'base64');
  if (!BASE64.test(text) || raw.length < NONCE_BYTES + TAG_BYTES) {
    throw new SecretDecryptionError(
      'stored value is not an Obexal encrypted value (base64 of nonce ‖ ciphertext ‖ tag)',
      0,
      'check that the column holds encrypted values and was not truncated',
    );
  }
  for (const [index, key] of keys.entries()) {
    assertKey(key);
    const plaintext = tryDecrypt(raw, key);
    if (plaintext !== undefined) return { plaintext, keyIndex: index };
  }
  throw new SecretDecryptionError(`none of the ${keys.length} key(s) given decrypts the stored value`, keys.length);
}
