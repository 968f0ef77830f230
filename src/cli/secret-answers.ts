/**
 * An answers file never gives a secret (it ends up in places secrets must not: shell history, CI artefacts,
 * tickets). An answer named like one of the tool's secrets, or whose value is shaped like a key or an age identity,
 * is registered with the redaction layer at once, so that it can reach no output, and refused with a usage error
 * that names the answer and never quotes its value.
 */
import { UsageError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';

const SECRET_ANSWER_NAMES = [
  'ENCRYPTION_KEY(_OLD)?',
  'BACKUP_IDENTITY',
  'ENCRYPTION_KEY of era .*',
  'DATABASE_URL',
  'PGPASSWORD',
  'DRILL_PASSWORD',
  'DRILL_TOTP_SECRET',
];
const SECRET_NAMES = new RegExp(`^(${SECRET_ANSWER_NAMES.join('|')})$`, 'i');
/** The base64 of 32 bytes (an Obexal key), anywhere in the value. */
const KEY_SHAPED = /(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{43}=($|[^A-Za-z0-9+/=])/;
const IDENTITY_SHAPED = /AGE-SECRET-KEY-/i;

function looksSecret(name: string, value: string): boolean {
  return SECRET_NAMES.test(name) || KEY_SHAPED.test(value) || IDENTITY_SHAPED.test(value);
}

export function refuseSecretAnswers(answers: Readonly<Record<string, string>>, file: string): void {
  const secret = Object.keys(answers).filter((name) => looksSecret(name, answers[name] ?? ''));
  for (const name of secret) addSecret(answers[name]);
  if (secret.length === 0) return;
  throw new UsageError(
    `the answers file ${file} gives a secret in ${secret.join(', ')} (a key, an identity or a password; not shown): ` +
      'secrets never come from an answers file',
    'remove it from the file, and give keys and identities through their environment variables or vault commands ' +
      '(ENCRYPTION_KEY, ENCRYPTION_KEY_COMMAND, BACKUP_IDENTITY_FILE, BACKUP_IDENTITY_COMMAND)',
  );
}
