/**
 * Ed25519 keys in OpenSSH's formats, with Node's built-in crypto only:
 * - the private key file (PROTOCOL.key, `openssh-key-v1`, unencrypted), so `ssh-keygen -Y sign -f` can use it too;
 * - the public key line `ssh-ed25519 AAAA… comment` and the `SHA256:…` fingerprint as ssh-keygen prints it.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { StepFailedError } from '../core/errors.js';
import { armor, dearmor, SshWireError, SshWireReader, SshWireWriter } from './ssh-wire.js';

export const ED25519_KEY_TYPE = 'ssh-ed25519';
const PRIVATE_KEY_LABEL = 'OPENSSH PRIVATE KEY';
const PRIVATE_KEY_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const UNENCRYPTED_BLOCK_SIZE = 8;

export interface Ed25519KeyPair {
  /** The 32-byte public key. */
  publicKey: Buffer;
  /** The 32-byte private seed (secret). */
  seed: Buffer;
  comment: string;
}

export function generateEd25519KeyPair(comment = ''): Ed25519KeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (!jwk.d || !jwk.x) throw new Error('Ed25519 key generation returned no key material');
  return { publicKey: Buffer.from(jwk.x, 'base64url'), seed: Buffer.from(jwk.d, 'base64url'), comment };
}

export function privateKeyObject(pair: Ed25519KeyPair): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: pair.seed.toString('base64url'), x: pair.publicKey.toString('base64url') },
    format: 'jwk',
  });
}

export function publicKeyObject(publicKey: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
}

/** The public key from a seed: used to check that a key file's two halves belong together. */
function publicKeyOfSeed(seed: Buffer): Buffer {
  const jwk = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  }).export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}

/** string("ssh-ed25519") || string(key): the public key blob of the SSH wire format. */
export function publicKeyBlob(publicKey: Buffer): Buffer {
  return new SshWireWriter().string(ED25519_KEY_TYPE).string(publicKey).toBuffer();
}

/** The 32-byte key inside an Ed25519 public key blob; throws SshWireError for any other key type. */
export function parsePublicKeyBlob(blob: Buffer): Buffer {
  const reader = new SshWireReader(blob);
  const type = reader.text();
  if (type !== ED25519_KEY_TYPE) throw new SshWireError(`key type ${type} is not supported (only ${ED25519_KEY_TYPE})`);
  const key = reader.string();
  if (key.length !== 32 || reader.remaining !== 0) throw new SshWireError('malformed ssh-ed25519 public key');
  return Buffer.from(key);
}

/** `ssh-ed25519 AAAA… [comment]` */
export function publicKeyLine(publicKey: Buffer, comment = ''): string {
  const line = `${ED25519_KEY_TYPE} ${publicKeyBlob(publicKey).toString('base64')}`;
  return comment ? `${line} ${comment}` : line;
}

/** Parse `ssh-ed25519 AAAA… [comment]`; throws SshWireError when it is not an Ed25519 public key line. */
export function parsePublicKeyLine(line: string): { publicKey: Buffer; comment: string } {
  const match = /^\s*(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*?))?\s*$/.exec(line);
  if (!match) throw new SshWireError('not an OpenSSH public key line');
  if (match[1] !== ED25519_KEY_TYPE)
    throw new SshWireError(`key type ${match[1]} is not supported (only ${ED25519_KEY_TYPE})`);
  const publicKey = parsePublicKeyBlob(Buffer.from(match[2] ?? '', 'base64'));
  return { publicKey, comment: match[3] ?? '' };
}

/** `SHA256:<unpadded base64>` of the public key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(publicKey: Buffer): string {
  const digest = createHash('sha256').update(publicKeyBlob(publicKey)).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The private key file text: openssh-key-v1, cipher "none", one key. */
export function encodeOpenSshPrivateKey(pair: Ed25519KeyPair): string {
  const check = randomBytes(4).readUInt32BE(0);
  const privateSection = new SshWireWriter()
    .uint32(check)
    .uint32(check)
    .string(ED25519_KEY_TYPE)
    .string(pair.publicKey)
    .string(Buffer.concat([pair.seed, pair.publicKey]))
    .string(pair.comment);
  let length = privateSection.toBuffer().length;
  for (let pad = 1; length % UNENCRYPTED_BLOCK_SIZE !== 0; pad++, length++) privateSection.raw(Buffer.from([pad]));

  const file = new SshWireWriter()
    .raw(PRIVATE_KEY_MAGIC)
    .string('none')
    .string('none')
    .string('')
    .uint32(1)
    .string(publicKeyBlob(pair.publicKey))
    .string(privateSection.toBuffer())
    .toBuffer();
  return armor(PRIVATE_KEY_LABEL, file);
}

const KEY_HINT =
  'point SIGNING_KEY_FILE at an unencrypted Ed25519 key in OpenSSH format (ssh-keygen -t ed25519 -N "" -f <file>), ' +
  'or unset it to let obexal-runbook create its own key in its configuration folder';

/** Read an openssh-key-v1 Ed25519 private key. Refuses encrypted keys, other key types and damaged files. */
export function decodeOpenSshPrivateKey(text: string, source = 'the signing key'): Ed25519KeyPair {
  const bad = (why: string, hint = KEY_HINT): StepFailedError =>
    new StepFailedError(`${source} cannot be used to sign records: ${why}`, hint);

  if (/-----BEGIN (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    throw bad('it is a PEM/PKCS#8 key, not an OpenSSH private key');
  }
  const data = dearmor(PRIVATE_KEY_LABEL, text);
  if (!data) throw bad('it is not an OpenSSH private key (no "BEGIN OPENSSH PRIVATE KEY" block)');
  try {
    const reader = new SshWireReader(data);
    if (!reader.raw(PRIVATE_KEY_MAGIC.length).equals(PRIVATE_KEY_MAGIC)) throw bad('unknown private key format');
    const cipher = reader.text();
    const kdf = reader.text();
    reader.string(); // kdf options
    if (cipher !== 'none' || kdf !== 'none') {
      throw bad(
        `it is protected by a passphrase (cipher ${cipher}, kdf ${kdf}), and records are signed unattended`,
        `remove the passphrase from a copy meant only for records (cp <key> <copy> && ssh-keygen -p ` +
          `-N "" -f <copy>), ` +
          `or ${KEY_HINT}`,
      );
    }
    const count = reader.uint32();
    if (count !== 1) throw bad(`it holds ${count} keys; exactly one is expected`);
    const headerBlob = reader.string();
    const headerType = new SshWireReader(headerBlob).text();
    if (headerType !== ED25519_KEY_TYPE)
      throw bad(`it is a ${headerType} key; records are signed with Ed25519 keys only`);
    const publicFromHeader = parsePublicKeyBlob(headerBlob);
    const section = new SshWireReader(reader.string());
    if (section.uint32() !== section.uint32()) throw bad('its check bytes do not match (the file is damaged)');
    const type = section.text();
    if (type !== ED25519_KEY_TYPE) throw bad(`it is a ${type} key; records are signed with Ed25519 keys only`);
    const publicKey = Buffer.from(section.string());
    const secret = section.string();
    const comment = section.text();
    const padding = section.rest();
    if (!padding.every((byte, index) => byte === index + 1)) throw bad('its padding is wrong (the file is damaged)');
    if (publicKey.length !== 32 || secret.length !== 64) throw bad('its Ed25519 key has the wrong length');
    const seed = Buffer.from(secret.subarray(0, 32));
    if (
      !publicKey.equals(publicFromHeader) ||
      !secret.subarray(32).equals(publicKey) ||
      !publicKeyOfSeed(seed).equals(publicKey)
    ) {
      throw bad('its private and public halves do not belong together (the file is damaged)');
    }
    return { publicKey, seed, comment };
  } catch (error) {
    if (error instanceof SshWireError) throw bad(error.message);
    throw error;
  }
}
