/**
 * age keys: X25519 recipients (`age1...`, public) and identities (`AGE-SECRET-KEY-1...`, secret), parsed from
 * a comma-separated setting or from files in the `age -R` / `age -i` formats, and generated. Only X25519 is
 * accepted: Debian's age 1.1.1 cannot read post-quantum recipients, and typage handles neither SSH nor
 * plugin keys. Identities are registered with the redaction layer the moment they are read.
 */
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { UsageError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';
import { UnsupportedAgeKeyError } from './age-errors.js';

/** An X25519 age recipient that passed validation. */
export type AgeRecipient = string & { readonly __ageRecipient: true };

const RECIPIENT_HINT = 'add an age1... public key (age-keygen -y identity.txt prints it)';
const IDENTITY_HINT = 'use an X25519 identity file made by age-keygen (a line AGE-SECRET-KEY-1...)';

/** A secret X25519 identity. Printing, logging or JSON-encoding it shows only its public recipient. */
export class AgeIdentity {
  readonly recipient: AgeRecipient;
  readonly #secret: string;
  constructor(secret: string, recipient: AgeRecipient) {
    this.#secret = secret;
    this.recipient = recipient;
  }
  /** The `AGE-SECRET-KEY-1...` string: only for the decryptor and for writing the identity file. */
  revealSecret(): string {
    return this.#secret;
  }
  toString(): string {
    return `AgeIdentity(${this.recipient})`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Shows a value that failed to parse without printing it whole (it may be a misplaced secret). */
function preview(value: string): string {
  return `"${value.slice(0, 8)}..." (${value.length} characters)`;
}

/** Bech32 human-readable part: everything before the last '1' (the data alphabet has no '1'). */
function bech32Prefix(value: string): string {
  const separator = value.lastIndexOf('1');
  return separator > 0 ? value.slice(0, separator).toLowerCase() : '';
}

function unsupportedRecipient(where: string, value: string): UnsupportedAgeKeyError | undefined {
  const prefix = bech32Prefix(value);
  const reject = (type: string, what: string, hint: string): UnsupportedAgeKeyError =>
    new UnsupportedAgeKeyError(`${where}: ${what} recipient ${preview(value)} is not supported`, type, hint);
  if (value.startsWith('ssh-') || value.startsWith('ecdsa-')) {
    return reject('ssh', 'an SSH', `backups use X25519 keys: ${RECIPIENT_HINT}`);
  }
  if (prefix === 'age1pq') {
    return reject(
      'post-quantum',
      'a post-quantum (age1pq1...)',
      "Debian's age 1.1.1 cannot decrypt it: use an X25519 key from age-keygen (age-keygen -y " +
        'identity.txt prints its age1... public key)',
    );
  }
  if (prefix === 'age1tag' || prefix === 'age1tagpq') {
    return reject('tag', 'a hardware tag (age1tag1...)', `backups use X25519 keys: ${RECIPIENT_HINT}`);
  }
  if (prefix.startsWith('age1')) {
    return reject(
      `plugin:${prefix.slice(4)}`,
      `a plugin (age-plugin-${prefix.slice(4)})`,
      `plugins are not supported: ${RECIPIENT_HINT}`,
    );
  }
  if (prefix !== 'age') return reject('unknown', 'an unknown kind of', RECIPIENT_HINT);
  return undefined;
}

/** Validates one recipient; `where` names its origin in messages (a setting name or `file:line`). */
export function parseRecipient(value: string, where: string): AgeRecipient {
  const text = value.trim();
  if (/^AGE-SECRET-KEY-/i.test(text)) {
    addSecret(text);
    throw new UsageError(
      `${where} holds an age identity (a secret key), not a recipient`,
      `keep the identity in the vault and put its public key here instead: ${RECIPIENT_HINT}`,
    );
  }
  const unsupported = unsupportedRecipient(where, text);
  if (unsupported) throw unsupported;
  try {
    new Encrypter().addRecipient(text); // typage's X25519 check: bech32 checksum, 32-byte key
  } catch {
    throw new UsageError(`${where}: ${preview(text)} is not a valid age recipient`, RECIPIENT_HINT);
  }
  return text as AgeRecipient;
}

function unique(recipients: AgeRecipient[]): AgeRecipient[] {
  return [...new Set(recipients)];
}

/** Recipients from a comma-separated setting such as BACKUP_RECIPIENTS. */
export function parseRecipientList(csv: string, settingName = 'BACKUP_RECIPIENTS'): AgeRecipient[] {
  const entries = csv
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new UsageError(`${settingName} holds no age recipient`, RECIPIENT_HINT);
  return unique(entries.map((entry) => parseRecipient(entry, settingName)));
}

interface Line {
  number: number;
  text: string;
}

/** Non-blank lines that are not `#` comments, with their line numbers. */
function contentLines(text: string): Line[] {
  return text
    .split(/\r?\n/)
    .map((raw, index) => ({ number: index + 1, text: raw.trim() }))
    .filter((line) => line.text !== '' && !line.text.startsWith('#'));
}

/** Recipients in the `age -R` format: one per line, `#` comments and blank lines ignored. */
export function parseRecipientsText(text: string, source: string): AgeRecipient[] {
  const lines = contentLines(text);
  if (lines.length === 0) throw new UsageError(`${source} holds no age recipient`, RECIPIENT_HINT);
  return unique(lines.map((line) => parseRecipient(line.text, `${source}:${line.number}`)));
}

async function readText(path: string, what: string, hint: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read the ${what} file ${path} (${code})`, hint);
  }
}

export async function readRecipientsFile(path: string): Promise<AgeRecipient[]> {
  return parseRecipientsText(await readText(path, 'recipients', RECIPIENT_HINT), path);
}

async function parseIdentity(text: string, where: string): Promise<AgeIdentity> {
  if (text.startsWith('AGE-SECRET-KEY-PQ-')) {
    throw new UnsupportedAgeKeyError(
      `${where}: post-quantum identities are not supported`,
      'post-quantum',
      IDENTITY_HINT,
    );
  }
  if (text.startsWith('AGE-PLUGIN-')) {
    throw new UnsupportedAgeKeyError(`${where}: plugin identities are not supported`, 'plugin', IDENTITY_HINT);
  }
  if (text.startsWith('-----BEGIN')) {
    throw new UnsupportedAgeKeyError(`${where}: SSH or PEM private keys are not supported`, 'ssh', IDENTITY_HINT);
  }
  if (!text.startsWith('AGE-SECRET-KEY-1')) {
    throw new UsageError(`${where}: not an age identity (expected a line AGE-SECRET-KEY-1...)`, IDENTITY_HINT);
  }
  try {
    return new AgeIdentity(text, (await identityToRecipient(text)) as AgeRecipient);
  } catch {
    throw new UsageError(`${where}: the age identity is malformed (bad checksum or length)`, IDENTITY_HINT);
  }
}

/**
 * Identities in the `age -i` format: `AGE-SECRET-KEY-1...` lines, `#` comments and blank lines ignored.
 * Every content line is registered as a secret before it is validated.
 */
export async function parseIdentitiesText(text: string, source: string): Promise<AgeIdentity[]> {
  const lines = contentLines(text);
  for (const line of lines) addSecret(line.text);
  if (lines.length === 0) throw new UsageError(`${source} holds no age identity`, IDENTITY_HINT);
  const identities: AgeIdentity[] = [];
  for (const line of lines) identities.push(await parseIdentity(line.text, `${source}:${line.number}`));
  return identities;
}

export async function readIdentitiesFile(path: string): Promise<AgeIdentity[]> {
  const text = await readText(path, 'identity', IDENTITY_HINT);
  return parseIdentitiesText(text, path);
}

/** A fresh X25519 identity (registered as a secret). */
export async function generateAgeIdentity(): Promise<AgeIdentity> {
  const secret = await generateX25519Identity();
  addSecret(secret);
  return new AgeIdentity(secret, (await identityToRecipient(secret)) as AgeRecipient);
}

/** The identity file text in age-keygen's layout (write it 0600). */
export function formatIdentityFile(identity: AgeIdentity, created = new Date()): string {
  const timestamp = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `# created: ${timestamp}\n# public key: ${identity.recipient}\n${identity.revealSecret()}\n`;
}
