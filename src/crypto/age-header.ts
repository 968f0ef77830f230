/**
 * The age header (age-encryption.org/v1, spec §"Header"), done by typage through its public API:
 *  - writing: typage's Encrypter builds the X25519 stanzas and the header MAC. an extra Recipient that adds no
 *    stanza captures the random file key, so that the payload can be encrypted by Node's crypto.
 *  - reading: typage's Decrypter.decryptHeader parses the header, unwraps the file key and checks the MAC.
 * Only the header's end (the `--- <MAC>` line) is located here, to split it from the payload.
 */
import { randomBytes } from 'node:crypto';
import { Decrypter, Encrypter, type Identity, type Recipient, type Stanza } from 'age-encryption';
import { AgeHeaderError, AgeNoMatchingIdentityError } from './age-errors.js';
import type { AgeIdentity, AgeRecipient } from './age-keys.js';
import { NONCE_SIZE, TAG_SIZE } from './age-payload.js';
import { x25519Header, x25519RecipientKey } from './age-x25519-header.js';

export const VERSION_LINE = Buffer.from('age-encryption.org/v1\n', 'latin1');
/** Bound on the header we buffer while looking for its end (an X25519 stanza is about 130 bytes). */
export const MAX_HEADER_SIZE = 256 * 1024;
const MAC_LINE_START = Buffer.from('\n--- ', 'latin1');
const FILE_KEY_SIZE = 16;

/**
 * The length of the header (through the newline ending the `--- <MAC>` line) when `buffer` holds all of it,
 * else -1. Stanza lines start with `-> ` and body lines are base64, so the first `\n--- ` is the MAC line.
 */
export function headerLength(buffer: Buffer): number {
  const macLine = buffer.indexOf(MAC_LINE_START);
  if (macLine < 0) return -1;
  const end = buffer.indexOf(0x0a, macLine + MAC_LINE_START.length);
  return end < 0 ? -1 : end + 1;
}

export interface NewHeader {
  header: Buffer;
  fileKey: Buffer;
}

/** A fresh file key and the header that wraps it for every recipient. */
export async function createHeader(recipients: readonly AgeRecipient[]): Promise<NewHeader> {
  if (recipients.length === 0) throw new Error('createHeader: no recipient');
  // X25519 recipients (all of them today, age-keys.ts): the header by Node's crypto, typage's layout (tested alike).
  const keys = recipients.map((recipient) => x25519RecipientKey(recipient));
  if (keys.every((key) => key !== undefined)) {
    const nativeFileKey = randomBytes(FILE_KEY_SIZE);
    return { header: x25519Header(nativeFileKey, keys), fileKey: nativeFileKey };
  }
  let fileKey: Buffer | undefined;
  const captureFileKey: Recipient = {
    wrapFileKey(key: Uint8Array): Stanza[] {
      fileKey = Buffer.from(key);
      return [];
    },
  };
  const encrypter = new Encrypter();
  encrypter.addRecipient(captureFileKey);
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  // typage writes header || nonce || sealed empty last chunk; we keep the header and drop the rest, which
  // is never written anywhere (our payload uses its own nonce, hence its own payload key).
  const sample = Buffer.from(await encrypter.encrypt(new Uint8Array(0)));
  const length = headerLength(sample);
  if (!fileKey || fileKey.length !== FILE_KEY_SIZE || length !== sample.length - NONCE_SIZE - TAG_SIZE) {
    throw new Error('typage produced an unexpected age header layout');
  }
  return { header: sample.subarray(0, length), fileKey };
}

function describeStanzas(stanzas: readonly Stanza[], identities: readonly AgeIdentity[]): string {
  const counts = new Map<string, number>();
  for (const stanza of stanzas) counts.set(stanza.args[0] ?? '?', (counts.get(stanza.args[0] ?? '?') ?? 0) + 1);
  const kinds = [...counts].map(([type, count]) => `${count} ${type}`).join(', ') || 'none';
  const tried = identities.map((identity) => identity.recipient).join(', ');
  return `its recipients: ${kinds}; identities tried: ${identities.length} (${tried})`;
}

function noMatchHint(types: readonly string[]): string | undefined {
  if (types.includes('scrypt')) return 'this file was encrypted with a passphrase: decrypt it with `age -d`';
  if (types.length > 0 && !types.includes('X25519')) {
    return `this file has no X25519 recipient (${types.join(', ')}): decrypt it with the age tool and the matching key`;
  }
  return undefined;
}

/**
 * Unwraps the file key with typage and checks the header MAC. Two probe identities around the real ones
 * tell where typage stopped, so that failures are typed without matching its error messages:
 * the first is called once the header parsed, the last only when no real identity matched.
 */
export async function openHeader(header: Buffer, identities: readonly AgeIdentity[]): Promise<Buffer> {
  let parsed = false;
  let unmatched: Stanza[] | undefined;
  const afterParse: Identity = {
    unwrapFileKey: () => {
      parsed = true;
      return null;
    },
  };
  const noneMatched: Identity = {
    unwrapFileKey: (stanzas) => {
      unmatched = stanzas;
      return null;
    },
  };
  const decrypter = new Decrypter();
  decrypter.addIdentity(afterParse);
  for (const identity of identities) decrypter.addIdentity(identity.revealSecret());
  decrypter.addIdentity(noneMatched);
  try {
    return Buffer.from(await decrypter.decryptHeader(header));
  } catch (error) {
    if (!parsed) throw new AgeHeaderError('it does not parse as an age v1 header');
    if (unmatched) {
      const types = unmatched.map((stanza) => stanza.args[0] ?? '?');
      throw new AgeNoMatchingIdentityError(describeStanzas(unmatched, identities), types, noMatchHint(types));
    }
    // An identity took a stanza and then either found it malformed or the header MAC did not match.
    throw new AgeHeaderError('a recipient stanza is malformed or the header MAC does not match');
  }
}
