/**
 * An age header for X25519 recipients written with Node's crypto (age-encryption.org/v1, "X25519 recipient stanza"
 * and "Header"): typage does the same in pure JavaScript, whose curve arithmetic cost 25-65 ms of CPU per dump on
 * the CI machine type, against well under a millisecond here. For each recipient: an ephemeral X25519 key, the
 * shared secret, HKDF-SHA256 (salt: ephemeral share || recipient, info `age-encryption.org/v1/X25519`) to the wrap
 * key, the file key sealed with ChaCha20-Poly1305 under a zero nonce; then the header's MAC, HMAC-SHA256 under
 * HKDF-SHA256(file key, no salt, info `header`) over the header up to its `---`. Base64 without padding throughout.
 */
import { createCipheriv, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const X25519_INFO = 'age-encryption.org/v1/X25519';
const VERSION_LINE = 'age-encryption.org/v1\n';

function polymod(values: readonly number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    BECH32_GENERATORS.forEach((generator, bit) => {
      if ((top >>> bit) & 1) checksum ^= generator;
    });
  }
  return checksum;
}

/** The 32-byte public key of an `age1…` recipient (bech32, checksum checked), or undefined if it is not one. */
export function x25519RecipientKey(recipient: string): Buffer | undefined {
  const text = recipient.toLowerCase();
  const separator = text.lastIndexOf('1');
  if (text.slice(0, separator) !== 'age' || text.length - separator - 1 < 7) return undefined;
  const data: number[] = [];
  for (const char of text.slice(separator + 1)) {
    const value = BECH32_CHARSET.indexOf(char);
    if (value < 0) return undefined;
    data.push(value);
  }
  const expanded = [...'age'].map((c) => c.charCodeAt(0) >> 5);
  expanded.push(0, ...[...'age'].map((c) => c.charCodeAt(0) & 31));
  if (polymod([...expanded, ...data]) !== 1) return undefined;
  const bytes: number[] = [];
  let accumulator = 0;
  let bits = 0;
  for (const value of data.slice(0, -6)) {
    accumulator = (accumulator << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((accumulator >>> bits) & 0xff);
    }
  }
  if (bits >= 5 || (accumulator & ((1 << bits) - 1)) !== 0) return undefined;
  return bytes.length === 32 ? Buffer.from(bytes) : undefined;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/=+$/, '');
const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

function x25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: base64url(raw) }, format: 'jwk' });
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

/** One `-> X25519` stanza wrapping `fileKey` for the recipient's public key. */
function x25519Stanza(fileKey: Buffer, recipientKey: Buffer): string {
  const ephemeral = generateKeyPairSync('x25519');
  const share = Buffer.from(ephemeral.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: x25519PublicKey(recipientKey) });
  if (shared.every((byte) => byte === 0)) throw new Error('age: X25519 shared secret is all zeros');
  const wrapKey = hkdf(shared, Buffer.concat([share, recipientKey]), X25519_INFO);
  const cipher = createCipheriv('chacha20-poly1305', wrapKey, Buffer.alloc(12), { authTagLength: 16 });
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  return `-> X25519 ${base64(share)}\n${base64(body)}\n`;
}

/** The header for `fileKey` and these recipients' public keys (as `x25519RecipientKey` returned them). */
export function x25519Header(fileKey: Buffer, recipientKeys: readonly Buffer[]): Buffer {
  const upToMac = `${VERSION_LINE}${recipientKeys.map((key) => x25519Stanza(fileKey, key)).join('')}---`;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(upToMac, 'latin1')
    .digest();
  return Buffer.from(`${upToMac} ${base64(mac)}\n`, 'latin1');
}
