/**
 * Where the record signing key lives: `<configDir>/signing_key` (0600, folder 0700), created on first use, unless
 * SIGNING_KEY_FILE names one. Never inside RECORDS_DIR: records are replicated, the key must not travel with them.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { StepFailedError, UsageError } from '../core/errors.js';
import { RECORD_NAMESPACE } from './sshsig.js';
import {
  decodeOpenSshPrivateKey,
  encodeOpenSshPrivateKey,
  fingerprint,
  generateEd25519KeyPair,
  parsePublicKeyLine,
  publicKeyLine,
  type Ed25519KeyPair,
} from './ssh-keys.js';

export const SIGNING_KEY_FILE_NAME = 'signing_key';

export interface SigningKeyOptions {
  /** The tool's configuration folder. */
  configDir: string;
  /** SIGNING_KEY_FILE: an existing key to use instead of the tool's own. */
  signingKeyFile?: string | undefined;
  /** RECORDS_DIR, to refuse a key stored among the records. */
  recordsDir?: string | undefined;
  /** The configured principal; `obexal-runbook@<hostname>` by default. */
  principal?: string | undefined;
}

export interface SigningKey {
  keyPair: Ed25519KeyPair;
  principal: string;
  /** `ssh-ed25519 AAAA…` without comment: the form records carry in `signer.publicKey`. */
  publicKeyLine: string;
  fingerprint: string;
  path: string;
  created: boolean;
}

export function defaultPrincipal(host: string = hostname()): string {
  return `obexal-runbook@${host}`;
}

/** A principal goes into an allowed_signers line and onto ssh-keygen's command line: keep it to one plain word. */
export function validatePrincipal(principal: string): string {
  if (!/^[A-Za-z0-9@._+-]+$/.test(principal)) {
    throw new UsageError(
      `the record signer principal "${principal}" is not valid`,
      'use letters, digits and @ . _ + - only (no spaces, commas, quotes or wildcards), e.g. obexal-runbook@backup-1',
    );
  }
  return principal;
}

/** `<principal> namespaces="obexal-runbook-record@v1" ssh-ed25519 AAAA…`: what `records pubkey` prints. */
export function allowedSignersLine(principal: string, publicKey: Buffer | string): string {
  const key = typeof publicKey === 'string' ? parsePublicKeyLine(publicKey).publicKey : publicKey;
  return `${validatePrincipal(principal)} namespaces="${RECORD_NAMESPACE}" ${publicKeyLine(key)}`;
}

/** The real path of `path`, resolving symlinks in the part of it that exists. */
async function canonical(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(await canonical(parent), basename(absolute));
  }
}

export async function isInside(child: string, parent: string): Promise<boolean> {
  const rel = relative(await canonical(parent), await canonical(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function signingKeyPath(options: SigningKeyOptions): string {
  return resolve(options.signingKeyFile || join(options.configDir, SIGNING_KEY_FILE_NAME));
}

async function refuseInsideRecords(path: string, options: SigningKeyOptions): Promise<void> {
  if (!options.recordsDir || !(await isInside(path, options.recordsDir))) return;
  throw new UsageError(
    `the record signing key ${path} is inside RECORDS_DIR (${options.recordsDir}), where it would ` +
      `be replicated with the records`,
    options.signingKeyFile
      ? 'point SIGNING_KEY_FILE at a file outside RECORDS_DIR (or unset it to use the key in the configuration folder)'
      : `RECORDS_DIR contains the configuration folder ${options.configDir}: choose a RECORDS_DIR that does not, ` +
          'or set SIGNING_KEY_FILE to a key outside RECORDS_DIR',
  );
}

async function loadKeyFile(path: string): Promise<Ed25519KeyPair> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new StepFailedError(
      `the record signing key ${path} is accessible to other users ` +
        `(mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`,
      `restrict it to its owner: chmod 600 ${path}`,
    );
  }
  return decodeOpenSshPrivateKey(await readFile(path, 'utf8'), path);
}

async function writeNewFile(path: string, content: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Create the key without ever replacing one: a concurrent first use keeps whichever key was linked first. */
async function createKeyFile(path: string, principal: string): Promise<boolean> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  const pair = generateEd25519KeyPair(principal);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  await writeNewFile(temporary, encodeOpenSshPrivateKey(pair), 0o600);
  let created = true;
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  } finally {
    await unlink(temporary);
  }
  if (created) {
    const publicTemporary = `${path}.pub.${randomBytes(6).toString('hex')}.partial`;
    await writeNewFile(publicTemporary, `${publicKeyLine(pair.publicKey, principal)}\n`, 0o644);
    await rename(publicTemporary, `${path}.pub`);
  }
  return created;
}

export async function loadOrCreateSigningKey(options: SigningKeyOptions): Promise<SigningKey> {
  const principal = validatePrincipal(options.principal || defaultPrincipal());
  const path = signingKeyPath(options);
  await refuseInsideRecords(path, options);
  let created = false;
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (options.signingKeyFile) {
      throw new StepFailedError(
        `SIGNING_KEY_FILE names ${path}, which does not exist`,
        `create it (ssh-keygen -t ed25519 -N "" -f ${path}) or unset SIGNING_KEY_FILE to use the tool's own key`,
      );
    }
    created = await createKeyFile(path, principal);
  }
  const keyPair = await loadKeyFile(path);
  return {
    keyPair,
    principal,
    publicKeyLine: publicKeyLine(keyPair.publicKey),
    fingerprint: fingerprint(keyPair.publicKey),
    path,
    created,
  };
}

/** The public key of the signing key if it exists (never creates one): what `records verify` trusts by default. */
export async function readSigningPublicKey(options: SigningKeyOptions): Promise<Buffer | undefined> {
  const path = signingKeyPath(options);
  try {
    return (await loadKeyFile(path)).publicKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
