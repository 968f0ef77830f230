/**
 * The bucket settings of DESIGN §3, validated. Credentials are not settings: they come from the AWS SDK's
 * default chain (environment, profiles, instance roles); this module never reads them, except to register the
 * secret key and session token with the redaction layer so that they can never reach any output.
 */
import { UsageError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';
import type { Settings } from '../core/settings.js';

export type S3ChecksumMode = 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';

export interface S3Settings {
  bucket: string;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  checksum: S3ChecksumMode;
  /** Region names or prefixes (`eu` allows `eu-*`), lowercase. */
  allowedRegions: string[];
}

export const S3_DEFAULTS = {
  prefix: 'obexal/',
  region: 'eu-central-1',
  forcePathStyle: false,
  checksum: 'WHEN_SUPPORTED' as S3ChecksumMode,
  allowedRegions: 'eu',
} as const;

const S3_SETTING_NAMES = [
  'S3_BUCKET',
  'S3_PREFIX',
  'S3_REGION',
  'S3_ENDPOINT',
  'S3_FORCE_PATH_STYLE',
  'S3_CHECKSUM',
  'ALLOWED_DATA_REGIONS',
] as const;

type EnvLike = Readonly<Record<string, string | undefined>>;

function value(env: EnvLike, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Builds the bucket settings from an environment-like record (unset and empty values take the defaults, as in
 * core/settings). `S3_PREFIX=/` means the bucket's root.
 */
export function s3SettingsFromEnv(env: EnvLike): S3Settings {
  registerAwsSecrets(env);
  const bucket = value(env, 'S3_BUCKET');
  if (!bucket) {
    throw new UsageError(
      'S3_BUCKET is not set (bucket for off-site copies)',
      'set S3_BUCKET to the name of the EU bucket that receives the copies',
    );
  }
  const endpoint = parseEndpoint(value(env, 'S3_ENDPOINT'));
  const settings: S3Settings = {
    bucket: parseBucket(bucket),
    prefix: parsePrefix(value(env, 'S3_PREFIX') ?? S3_DEFAULTS.prefix),
    region: parseRegion(value(env, 'S3_REGION') ?? S3_DEFAULTS.region),
    forcePathStyle: parseBoolean('S3_FORCE_PATH_STYLE', value(env, 'S3_FORCE_PATH_STYLE'), S3_DEFAULTS.forcePathStyle),
    checksum: parseChecksum(value(env, 'S3_CHECKSUM')),
    allowedRegions: parseAllowedRegions(value(env, 'ALLOWED_DATA_REGIONS') ?? S3_DEFAULTS.allowedRegions),
  };
  if (endpoint !== undefined) settings.endpoint = endpoint;
  return settings;
}

/** The same from the resolved settings (environment beats configuration file beats defaults). */
export function s3SettingsFromSettings(settings: Pick<Settings, 'get' | 'env'>): S3Settings {
  const record: Record<string, string | undefined> = {};
  for (const name of S3_SETTING_NAMES) record[name] = settings.get(name);
  registerAwsSecrets(settings.env);
  return s3SettingsFromEnv(record);
}

/** The SDK reads these itself; we only make sure they are masked wherever text is printed. */
export function registerAwsSecrets(env: EnvLike): void {
  addSecret(env['AWS_SECRET_ACCESS_KEY']);
  addSecret(env['AWS_SESSION_TOKEN']);
}

function parseBucket(bucket: string): string {
  if (/^s3:\/\//i.test(bucket) || bucket.includes('/')) {
    throw new UsageError(
      `S3_BUCKET must be a bucket name, got "${bucket}"`,
      'give the bucket name alone (no s3:// and no path); put a folder inside the bucket in S3_PREFIX',
    );
  }
  // AWS rules are stricter (3-63 lowercase); some S3-compatible providers accept more, so only reject what no
  // provider accepts.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/.test(bucket)) {
    throw new UsageError(
      `S3_BUCKET "${bucket}" is not a valid bucket name`,
      'a bucket name has 3 to 63 characters: lowercase letters, digits, dots and hyphens, starting ' +
        'and ending with a letter or digit',
    );
  }
  return bucket;
}

function parsePrefix(raw: string): string {
  let prefix = raw.trim().replace(/^\/+/, '');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(prefix)) {
    throw new UsageError(
      'S3_PREFIX contains a control character or a backslash',
      'use a plain path such as obexal/prod/',
    );
  }
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new UsageError(`S3_PREFIX "${raw}" contains . or .. segments`, 'use a plain path such as obexal/prod/');
  }
  prefix = prefix.replace(/\/{2,}/g, '/');
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return prefix;
}

function parseRegion(region: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(region)) {
    throw new UsageError(`S3_REGION "${region}" is not a region name`, 'use a region name such as eu-central-1');
  }
  return region.toLowerCase();
}

function parseEndpoint(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      'S3_ENDPOINT is not a URL',
      'use the full URL of the provider, such as https://s3.example.com',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `S3_ENDPOINT must be an http or https URL, got ${url.protocol}`,
      'use the full URL of the provider, such as https://s3.example.com',
    );
  }
  if (url.username || url.password) {
    // Do not echo the value: it holds credentials.
    throw new UsageError(
      'S3_ENDPOINT must not contain credentials',
      'remove user:password@ from S3_ENDPOINT; credentials come from AWS_ACCESS_KEY_ID / ' +
        'AWS_SECRET_ACCESS_KEY or a profile',
    );
  }
  return raw.replace(/\/+$/, '');
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new UsageError(`${name} must be true or false, got "${raw}"`, `set ${name}=true or ${name}=false`);
}

function parseChecksum(raw: string | undefined): S3ChecksumMode {
  if (raw === undefined) return S3_DEFAULTS.checksum;
  const v = raw.toUpperCase();
  if (v === 'WHEN_REQUIRED' || v === 'WHEN_SUPPORTED') return v;
  throw new UsageError(
    `S3_CHECKSUM must be WHEN_SUPPORTED or WHEN_REQUIRED, got "${raw}"`,
    'use WHEN_SUPPORTED for AWS S3, WHEN_REQUIRED for s3rver and providers that store chunk framing ' +
      'or reject checksums',
  );
}

function parseAllowedRegions(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    throw new UsageError(
      'ALLOWED_DATA_REGIONS is empty',
      'list region names or prefixes, such as eu or eu-central-1,eu-west-1',
    );
  }
  for (const entry of entries) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(entry) || entry.endsWith('-')) {
      throw new UsageError(
        `ALLOWED_DATA_REGIONS entry "${entry}" is not a region name or prefix`,
        'list region names or prefixes separated by commas, such as eu or eu-central-1,eu-west-1',
      );
    }
  }
  return [...new Set(entries)];
}

/** The full key of an object name under the configured prefix. */
export function keyFor(settings: Pick<S3Settings, 'prefix'>, name: string): string {
  const clean = name.replace(/^\/+/, '');
  if (clean === '' || clean.split('/').some((s) => s === '..' || s === '.')) {
    throw new UsageError(
      `invalid object name "${name}"`,
      'object names are relative paths under S3_PREFIX, without . or .. segments',
    );
  }
  return settings.prefix + clean;
}

/** The object name of a full key (the part after the prefix). */
export function nameOf(settings: Pick<S3Settings, 'prefix'>, key: string): string {
  return key.startsWith(settings.prefix) ? key.slice(settings.prefix.length) : key;
}

/** `s3://bucket/prefix` (and the endpoint when not AWS), for messages. */
export function describeLocation(settings: S3Settings, name?: string): string {
  const where = `s3://${settings.bucket}/${name === undefined ? settings.prefix : keyFor(settings, name)}`;
  return settings.endpoint ? `${where} at ${settings.endpoint}` : where;
}
