/**
 * OpenSSH signatures (PROTOCOL.sshsig), Ed25519 only, as `ssh-keygen -Y sign` writes them and `-Y verify` reads them:
 *
 *   blob        = "SSHSIG" || uint32(1) || string(publickey) || string(namespace) || string(reserved)
 *                 || string(hash_algorithm) || string(signature)
 *   signed data = "SSHSIG" || string(namespace) || string(reserved) || string(hash_algorithm) || string(H(message))
 */
import { createHash, sign, verify } from 'node:crypto';
import { armor, dearmor, SshWireError, SshWireReader, SshWireWriter } from './ssh-wire.js';
import {
  ED25519_KEY_TYPE,
  parsePublicKeyBlob,
  privateKeyObject,
  publicKeyBlob,
  publicKeyObject,
  type Ed25519KeyPair,
} from './ssh-keys.js';

/** The namespace every record signature is made in (`ssh-keygen -n`). */
export const RECORD_NAMESPACE = 'obexal-runbook-record@v1';

const MAGIC = Buffer.from('SSHSIG', 'latin1');
const VERSION = 1;
const SIGNATURE_LABEL = 'SSH SIGNATURE';
const HASH_ALGORITHMS = new Set(['sha512', 'sha256']);

export interface ParsedSshsig {
  /** The signer's 32-byte Ed25519 public key, as carried inside the signature. */
  publicKey: Buffer;
  namespace: string;
  reserved: Buffer;
  hashAlgorithm: string;
  /** The raw 64-byte Ed25519 signature. */
  signature: Buffer;
}

export type SshsigVerification = { ok: true; publicKey: Buffer } | { ok: false; reason: string; publicKey?: Buffer };

function signedData(namespace: string, reserved: Buffer, hashAlgorithm: string, message: Buffer): Buffer {
  const digest = createHash(hashAlgorithm).update(message).digest();
  return new SshWireWriter()
    .raw(MAGIC)
    .string(namespace)
    .string(reserved)
    .string(hashAlgorithm)
    .string(digest)
    .toBuffer();
}

/** Sign `message` in `namespace`; returns the armored `-----BEGIN SSH SIGNATURE-----` text. */
export function signSshsig(message: Buffer, key: Ed25519KeyPair, namespace: string = RECORD_NAMESPACE): string {
  if (!namespace) throw new Error('an SSHSIG namespace must not be empty');
  const reserved = Buffer.alloc(0);
  const raw = sign(null, signedData(namespace, reserved, 'sha512', message), privateKeyObject(key));
  const signatureBlob = new SshWireWriter().string(ED25519_KEY_TYPE).string(raw).toBuffer();
  const blob = new SshWireWriter()
    .raw(MAGIC)
    .uint32(VERSION)
    .string(publicKeyBlob(key.publicKey))
    .string(namespace)
    .string(reserved)
    .string('sha512')
    .string(signatureBlob)
    .toBuffer();
  return armor(SIGNATURE_LABEL, blob);
}

/** Parse an armored SSHSIG; throws SshWireError with the reason when it is not one this tool can check. */
export function parseSshsig(armored: string): ParsedSshsig {
  const blob = dearmor(SIGNATURE_LABEL, armored);
  if (!blob) throw new SshWireError('not an SSH signature (no "BEGIN SSH SIGNATURE" block)');
  const reader = new SshWireReader(blob);
  if (!reader.raw(MAGIC.length).equals(MAGIC)) throw new SshWireError('not an SSHSIG blob (bad magic)');
  const version = reader.uint32();
  if (version !== VERSION) throw new SshWireError(`unsupported SSHSIG version ${version}`);
  const publicKey = parsePublicKeyBlob(reader.string());
  const namespace = reader.text();
  const reserved = Buffer.from(reader.string());
  const hashAlgorithm = reader.text();
  if (!HASH_ALGORITHMS.has(hashAlgorithm)) throw new SshWireError(`unsupported hash algorithm ${hashAlgorithm}`);
  const signatureReader = new SshWireReader(reader.string());
  const signatureType = signatureReader.text();
  if (signatureType !== ED25519_KEY_TYPE) throw new SshWireError(`unsupported signature type ${signatureType}`);
  const signature = Buffer.from(signatureReader.string());
  if (signature.length !== 64 || signatureReader.remaining !== 0) throw new SshWireError('malformed Ed25519 signature');
  if (reader.remaining !== 0) throw new SshWireError('trailing data after the signature');
  return { publicKey, namespace, reserved, hashAlgorithm, signature };
}

/**
 * Check an armored SSHSIG over `message` in `namespace`. The key it names is returned either way (when it can be
 * read) so the caller can decide whether that signer is trusted; this function only proves the signature itself.
 */
export function verifySshsig(
  message: Buffer,
  armored: string,
  namespace: string = RECORD_NAMESPACE,
): SshsigVerification {
  let parsed: ParsedSshsig;
  try {
    parsed = parseSshsig(armored);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const { publicKey } = parsed;
  if (parsed.namespace !== namespace) {
    return { ok: false, publicKey, reason: `signed in namespace "${parsed.namespace}", expected "${namespace}"` };
  }
  const data = signedData(parsed.namespace, parsed.reserved, parsed.hashAlgorithm, message);
  const valid = verify(null, data, publicKeyObject(publicKey), parsed.signature);
  return valid ? { ok: true, publicKey } : { ok: false, publicKey, reason: 'the signature does not match the content' };
}
