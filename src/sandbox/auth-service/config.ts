/**
 * The auth-service's configuration, read only from its environment (as Obexal's binary): the database, the
 * current key and the keys of older eras, and for `serve` the address to listen on. Every secret is registered
 * with the redaction layer as soon as it is read.
 */
import { addConnectionStringSecret, addSecret } from '../../core/redact.js';
import { messageOf, StepFailedError } from '../../core/errors.js';
import { parseEncryptionKey } from '../../keys/secret-value.js';

/** A configuration problem: the service refuses to start (exit 1); the message never holds a value. */
export class ConfigError extends StepFailedError {}

export interface KeyRing {
  /** `ENCRYPTION_KEY`: every value is written under it, and it is tried first. */
  current: Buffer;
  /** `ENCRYPTION_KEY_OLD`, in the order given. */
  old: Buffer[];
  /** current then old: the order a reader tries them. */
  all: Buffer[];
}

export function readDatabaseUrl(env: NodeJS.ProcessEnv): string {
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    throw new ConfigError('DATABASE_URL is not set', 'set DATABASE_URL to the postgres:// URL of the Obexal database');
  }
  addConnectionStringSecret(url);
  return url;
}

export function readKeyRing(env: NodeJS.ProcessEnv): KeyRing {
  const currentText = env.ENCRYPTION_KEY;
  if (!currentText || currentText.trim() === '') {
    throw new ConfigError(
      'ENCRYPTION_KEY is not set',
      'set ENCRYPTION_KEY to the base64 of the 32-byte key of the current era',
    );
  }
  addSecret(currentText);
  let current: Buffer;
  try {
    current = parseEncryptionKey(currentText, 'ENCRYPTION_KEY');
  } catch (error) {
    throw new ConfigError(messageOf(error), 'ENCRYPTION_KEY must be the base64 of exactly 32 bytes (44 characters)');
  }
  const old: Buffer[] = [];
  const oldItems = (env.ENCRYPTION_KEY_OLD ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const [index, item] of oldItems.entries()) {
    addSecret(item);
    try {
      old.push(parseEncryptionKey(item, `ENCRYPTION_KEY_OLD item ${index + 1}`));
    } catch (error) {
      throw new ConfigError(
        messageOf(error),
        'ENCRYPTION_KEY_OLD is a comma-separated list of base64 32-byte keys of earlier eras',
      );
    }
  }
  return { current, old, all: [current, ...old] };
}

export interface ListenConfig {
  host: string;
  port: number;
  /** The issuer announced in openid-configuration; defaults to http://host:port. */
  issuer: string | undefined;
}

export function readListenConfig(env: NodeJS.ProcessEnv): ListenConfig {
  const host = env.HOST?.trim() || '127.0.0.1';
  const portText = env.PORT?.trim() ?? '';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) {
    throw new ConfigError(
      portText === '' ? 'PORT is not set' : `PORT is not a port number: ${JSON.stringify(portText)}`,
      'set PORT to the TCP port to listen on (1-65535; 0 picks a free one)',
    );
  }
  const issuer = env.ISSUER?.trim() || undefined;
  return { host, port, issuer: issuer?.replace(/\/+$/, '') };
}
