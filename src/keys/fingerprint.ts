/** Key-era fingerprint (DESIGN §4): hex SHA-256 of "obexal-key-era-v1", a zero byte, and the 32 raw key bytes. */
import { createHash } from 'node:crypto';
import { KEY_BYTES } from './secret-value.js';
import { UsageError } from '../core/errors.js';

const DOMAIN = Buffer.from('obexal-key-era-v1', 'utf8');

export function keyFingerprint(key: Buffer): string {
  if (key.length !== KEY_BYTES) {
    throw new UsageError(
      `encryption key has ${key.length} bytes, not ${KEY_BYTES}`,
      'parse keys with parseEncryptionKey',
    );
  }
  return createHash('sha256')
    .update(DOMAIN)
    .update(Buffer.from([0]))
    .update(key)
    .digest('hex');
}

/** Short form for display (first 16 hex digits); the full form is what registers and manifests store. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(0, 16);
}
