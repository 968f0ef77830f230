/**
 * The bucket settings of DESIGN §3, validated. Credentials are not settings: they come from the AWS SDK's
 * default chain (environment, profiles, instance roles); this module never reads them, except to register the
 * secret key and session token with the redaction layer so that they can never reach any output.
 */
import { UsageError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';
import {
  parseAllowedRegions,
  parseBoolean,
  parseBucket,
  parseChecksum,
  parseEndpoint,
  parsePrefix,
  parseRegion,
  S3_DEFAULTS,
  type S3Settings,
} from '../core/bucket-values.js';
import { parsedBucketOf } from '../core/parsed-settings.js';
import type { Settings } from '../core/settings.js';

export { S3_DEFAULTS, type S3ChecksumMode, type S3Settings } from '../core/bucket-values.js';

const BUCKET_NAMES = [
  'S3_BUCKET',
  'S3_PREFIX',
  'S3_REGION',
  'S3_ENDPOINT',
  'S3_FORCE_PATH_STYLE',
  'S3_CHECKSUM',
  'ALLOWED_DATA_REGIONS',
];

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
  if (!bucket) throw bucketNotSet();
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

/**
 * The bucket section of the invocation's parsed settings (core/parsed-settings.ts: parsed once, every bucket
 * problem reported at once); S3_BUCKET unset is a usage error here, where a bucket is needed.
 */
export function s3SettingsFromSettings(settings: Settings | Pick<Settings, 'get' | 'env'>): S3Settings {
  registerAwsSecrets(settings.env);
  // A partial reader (src/restore/catalog.ts, until it moves to ctx.config) is parsed on its own.
  if (!('all' in settings)) return s3SettingsFromEnv(Object.fromEntries(BUCKET_NAMES.map((n) => [n, settings.get(n)])));
  const bucket = parsedBucketOf(settings);
  if (!bucket) throw bucketNotSet();
  return bucket;
}

function bucketNotSet(): UsageError {
  return new UsageError(
    'S3_BUCKET is not set (bucket for off-site copies)',
    'set S3_BUCKET to the name of the EU bucket that receives the copies',
  );
}

/** The SDK reads these itself; we only make sure they are masked wherever text is printed. */
export function registerAwsSecrets(env: EnvLike): void {
  addSecret(env['AWS_SECRET_ACCESS_KEY']);
  addSecret(env['AWS_SESSION_TOKEN']);
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
