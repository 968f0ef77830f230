/**
 * `eras.ensure`'s work: find the key era(s) a dump taken now belongs to, creating the register on first use.
 * Interactive, creating it asks the operator once for the current era's label and its ENCRYPTION_KEY (from the
 * setting when set, else a masked prompt), to record the key's fingerprint; the key itself is never stored.
 *
 * Headless, a missing register never stops a backup (issue 11: nobody reads the cron log until the day it is
 * needed): with ENCRYPTION_KEY at hand the era in force is registered under the `era-label` answer or the default
 * label `era-<yyyy-mm>`; without it the dump is taken anyway and its era recorded as unregistered (a restore finds
 * the key by trial decryption). Only an `era-label` answer that is not a label stops it (exit 2).
 */
import { AnswerRequiredError, UsageError } from '../core/errors.js';
import type { SecretStore } from '../engine/action.js';
import type { Interactor } from '../engine/interactor.js';
import { keyFingerprint, shortFingerprint } from '../keys/fingerprint.js';
import { parseEncryptionKey } from '../keys/secret-value.js';
import {
  addEra,
  emptyRegister,
  eraForDump,
  ERA_LABEL,
  suggestEraLabel,
  validateEraLabel,
  type EraRef,
  type KeyEraRegister,
} from './register.js';
import {
  readRegister,
  sameRegister,
  writeBucketRegister,
  writeLocalRegister,
  writeRegister,
  type RegisterLocation,
} from './store.js';

export interface EnsureErasOptions {
  location: RegisterLocation;
  interactor: Interactor;
  /** ENCRYPTION_KEY from the settings (environment), when set. */
  encryptionKey: string | undefined;
  secrets: SecretStore;
  signal: AbortSignal;
  output(text: string, stream?: 'info' | 'warn'): void;
  now?: Date;
  /**
   * Headless with no register and no ENCRYPTION_KEY: `record` takes the dump with its era unregistered (a backup);
   * `refuse` stops with exit 3 naming ENCRYPTION_KEY (a key rotation, which cannot work without the register).
   */
  whenUnregistered?: 'record' | 'refuse';
}

export interface EnsureErasResult {
  eras: EraRef[];
  source: 'bucket' | 'local' | 'created' | 'none';
  created?: EraRef;
  register: KeyEraRegister | undefined;
  /** No register and nothing to create it from: the dump's key era is recorded as unregistered. */
  unregistered: boolean;
}

const ATTEMPTS = 3;

async function askLabel(options: EnsureErasOptions, suggestion: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const answer = await options.interactor.text(
      {
        kind: 'text',
        name: 'era-label',
        message: `No key-era register yet. Label of the era of the ENCRYPTION_KEY in force now (${ERA_LABEL.source})`,
        default: suggestion,
      },
      options.signal,
    );
    const text = answer.trim() === '' ? suggestion : answer;
    try {
      return validateEraLabel(text);
    } catch (error) {
      if (options.interactor.mode === 'headless' || attempt >= ATTEMPTS) throw error;
      options.output(`"${text}" is not a valid era label: lower-case letters, digits and dashes`, 'warn');
    }
  }
}

async function askKey(options: EnsureErasOptions): Promise<string> {
  if (options.encryptionKey) {
    parseEncryptionKey(options.encryptionKey, 'ENCRYPTION_KEY');
    return options.encryptionKey;
  }
  const value = await options.interactor.secret(
    {
      kind: 'secret',
      name: 'ENCRYPTION_KEY',
      message: "Obexal's current ENCRYPTION_KEY, once, to record its fingerprint (the key is not stored)",
      validate: (text) => {
        try {
          parseEncryptionKey(text, 'the key');
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    },
    options.signal,
  );
  options.secrets.set('ENCRYPTION_KEY', value);
  parseEncryptionKey(value, 'the ENCRYPTION_KEY typed');
  return value;
}

interface ChosenLabel {
  label: string;
  answered: boolean;
}

/** Headless: the `era-label` answer (validated: exit 2 when it is not a label), else the default label. */
async function headlessLabel(options: EnsureErasOptions, suggestion: string): Promise<ChosenLabel> {
  try {
    return { label: await askLabel(options, suggestion), answered: true };
  } catch (error) {
    if (!(error instanceof AnswerRequiredError)) throw error;
    return { label: suggestion, answered: false };
  }
}

/** Headless: ENCRYPTION_KEY when it is a valid key; otherwise why not (a warning, never a refusal). */
function headlessKey(options: EnsureErasOptions): { key: string } | { missing: string } {
  if (!options.encryptionKey) return { missing: 'no ENCRYPTION_KEY in this environment' };
  try {
    parseEncryptionKey(options.encryptionKey, 'ENCRYPTION_KEY');
    return { key: options.encryptionKey };
  } catch (error) {
    return { missing: `ENCRYPTION_KEY in this environment is not a valid key (${(error as UsageError).message})` };
  }
}

function unregistered(options: EnsureErasOptions, why: string, label: string): EnsureErasResult {
  if (options.whenUnregistered === 'refuse') {
    throw new AnswerRequiredError(
      'ENCRYPTION_KEY',
      `there is no key-era register yet and ${why}: this runbook needs the register, nothing was changed`,
      'set ENCRYPTION_KEY (the key in force; only its fingerprint is kept) and run again: ' +
        `the era is registered as "${label}" unless --answers gives era-label`,
    );
  }
  options.output(
    `there is no key-era register yet and ${why}: the dump is taken anyway, and its manifest records its key era as ` +
      'unregistered (a restore finds the key by trial decryption). To register the era in force, run one backup ' +
      'with ENCRYPTION_KEY set (only its fingerprint is kept), e.g. ENCRYPTION_KEY=... obexal-runbook backup; ' +
      `its label is "${label}" unless --answers gives era-label`,
    'warn',
  );
  return { eras: [], source: 'none', register: undefined, unregistered: true };
}

function warnAboutKey(options: EnsureErasOptions, eras: EraRef[]): void {
  if (!options.encryptionKey) return;
  let fingerprint: string;
  try {
    fingerprint = keyFingerprint(parseEncryptionKey(options.encryptionKey, 'ENCRYPTION_KEY'));
  } catch (error) {
    options.output(
      `ENCRYPTION_KEY in this environment is not a valid key (${(error as UsageError).message}); ` +
        `backups do not need it`,
      'warn',
    );
    return;
  }
  if (!eras.some((era) => era.fingerprint === fingerprint)) {
    options.output(
      `the ENCRYPTION_KEY in this environment (fingerprint ${shortFingerprint(fingerprint)}) ` +
        `matches no open era of the register: ` +
        ('was a key rotation done without the key-rotation runbook? Check the register before ' +
          "relying on this dump's era"),
      'warn',
    );
  }
}

async function syncCopies(
  options: EnsureErasOptions,
  read: Awaited<ReturnType<typeof readRegister>>,
  register: KeyEraRegister,
): Promise<void> {
  const { location } = options;
  if (read.source === 'bucket' && !sameRegister(read.local, register)) {
    await writeLocalRegister(location.backupDir, register);
    options.output('local copy of the key-era register updated from the bucket', 'info');
  }
  if (read.source === 'local' && read.bucket === 'absent' && location.s3) {
    try {
      const where = await writeBucketRegister(location.s3, register, options.signal);
      options.output(`the bucket had no key-era register: uploaded the local one to ${where}`, 'info');
    } catch (error) {
      options.output(`could not upload the key-era register to the bucket: ${(error as Error).message}`, 'warn');
    }
  }
  if (read.bucket === 'unreachable') {
    options.output(
      `the bucket's key-era register could not be read (${read.bucketError ?? 'unknown error'}): using the local copy`,
      'warn',
    );
  }
}

function reportErasInForce(options: EnsureErasOptions, eras: EraRef[]): void {
  if (eras.length === 0) {
    options.output(
      "the key-era register has no era in force: this dump's manifest names no key era (a restore " +
        'will find the key by trial decryption)',
      'warn',
    );
  } else if (eras.length > 1) {
    options.output(
      `two eras are open (${eras.map((e) => e.label).join(', ')}): a key rotation is under way, ` +
        `the manifest names both`,
      'info',
    );
  }
}

function reportCreated(
  options: EnsureErasOptions,
  label: string,
  fingerprint: string,
  written: Awaited<ReturnType<typeof writeRegister>>,
): void {
  options.output(
    `key-era register created: era "${label}", fingerprint ${shortFingerprint(fingerprint)} (the ` +
      `key itself is not stored)`,
    'info',
  );
  options.output(`  local copy: ${written.localPath}`, 'info');
  if (typeof written.bucket === 'object' && 'written' in written.bucket)
    options.output(`  bucket copy: ${written.bucket.written}`, 'info');
  else if (typeof written.bucket === 'object')
    options.output(
      `  the bucket copy could not be written (${written.bucket.error}); the next backup uploads it`,
      'warn',
    );
}

export async function ensureKeyEras(options: EnsureErasOptions): Promise<EnsureErasResult> {
  const now = options.now ?? new Date();
  const read = await readRegister(options.location, { signal: options.signal });
  if (read.register && read.source !== 'none') {
    const register = read.register;
    await syncCopies(options, read, register);
    const eras = eraForDump(register, now);
    reportErasInForce(options, eras);
    warnAboutKey(options, eras);
    return { eras, source: read.source, register, unregistered: false };
  }

  const suggestion = suggestEraLabel(now);
  let label: string;
  let key: string;
  if (options.interactor.mode === 'headless') {
    const chosen = await headlessLabel(options, suggestion);
    const found = headlessKey(options);
    if ('missing' in found) return unregistered(options, found.missing, chosen.label);
    label = chosen.label;
    key = found.key;
    if (!chosen.answered) {
      const how = 'give era-label in --answers to choose another';
      options.output(
        `no key-era register yet: the era in force is registered under the default label "${label}" (${how})`,
        'info',
      );
    }
  } else {
    label = await askLabel(options, suggestion);
    key = await askKey(options);
  }
  const fingerprint = keyFingerprint(parseEncryptionKey(key, 'ENCRYPTION_KEY'));
  const register = addEra(emptyRegister(), { label, fingerprint, start: now.toISOString() });
  if (read.bucket === 'unreachable') {
    options.output(
      `the bucket could not be read (${read.bucketError ?? 'unknown error'}): if it already holds a ` +
        `key-era register, that one will win at the next run`,
      'warn',
    );
  }
  const written = await writeRegister(register, options.location, { signal: options.signal });
  reportCreated(options, label, fingerprint, written);
  const created = { label, fingerprint };
  return { eras: [created], source: 'created', created, register, unregistered: false };
}
