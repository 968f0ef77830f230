/**
 * The value parsers of the bucket settings (DESIGN §3): each returns the typed value or throws a UsageError naming
 * the setting, with a hint. parseSettings (parsed-settings.ts) runs them all and collects every problem.
 */
import { UsageError } from './errors.js';

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

export function parseBucket(bucket: string): string {
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

export function parsePrefix(raw: string): string {
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

export function parseRegion(region: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(region)) {
    throw new UsageError(`S3_REGION "${region}" is not a region name`, 'use a region name such as eu-central-1');
  }
  return region.toLowerCase();
}

export function parseEndpoint(raw: string | undefined): string | undefined {
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

export function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new UsageError(`${name} must be true or false, got "${raw}"`, `set ${name}=true or ${name}=false`);
}

export function parseChecksum(raw: string | undefined): S3ChecksumMode {
  if (raw === undefined) return S3_DEFAULTS.checksum;
  const v = raw.toUpperCase();
  if (v === 'WHEN_REQUIRED' || v === 'WHEN_SUPPORTED') return v;
  throw new UsageError(
    `S3_CHECKSUM must be WHEN_SUPPORTED or WHEN_REQUIRED, got "${raw}"`,
    'use WHEN_SUPPORTED for AWS S3, WHEN_REQUIRED for s3rver and providers that store chunk framing ' +
      'or reject checksums',
  );
}

export function parseAllowedRegions(raw: string): string[] {
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
