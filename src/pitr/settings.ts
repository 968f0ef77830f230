/**
 * The point-in-time recovery settings, parsed once into a type (DESIGN §3 names; docs/pitr.md). pgBackRest's
 * repository lives in the same bucket as the dumps, under its own prefix, and speaks HTTPS only.
 */
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import type { Settings } from '../core/settings.js';

export type PitrCompression = 'zst' | 'lz4' | 'gz' | 'none';

export interface PitrRepository {
  bucket: string;
  /** Host name or address of the S3 endpoint (pgBackRest takes host and port apart). */
  host: string;
  port: number;
  region: string;
  pathStyle: boolean;
  /** Repository path inside the bucket, starting with `/`. */
  path: string;
  verifyTls: boolean;
  caFile: string | undefined;
}

export interface PitrSettings {
  stanza: string;
  configFile: string;
  repository: PitrRepository;
  compression: PitrCompression;
  cipherPassCommand: string | undefined;
  restartCommand: string | undefined;
  /** A full backup is taken when the newest full one is older than this (else an incremental one). */
  fullEveryMs: number;
  retentionDays: number;
}

const STANZA = /^[a-z0-9][a-z0-9_-]*$/;
const COMPRESSIONS: readonly PitrCompression[] = ['zst', 'lz4', 'gz', 'none'];

function parseEndpoint(endpoint: string | undefined, region: string): { host: string; port: number } {
  if (!endpoint) return { host: `s3.${region}.amazonaws.com`, port: 443 };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(
      `PITR_S3_ENDPOINT ${JSON.stringify(endpoint)} is not a URL`,
      'write it as https://host[:port]',
    );
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(
      `pgBackRest's S3 repository speaks HTTPS only, and the endpoint ${url.origin} ` +
        `is ${url.protocol.replace(':', '')}`,
      'set PITR_S3_ENDPOINT to the HTTPS endpoint of the bucket (PITR_S3_CA_FILE for a private CA)',
    );
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 443 };
}

function repositoryPath(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return `/${trimmed}`;
}

/** Reads every PITR setting at once; a missing or malformed one is a usage error naming it. */
export function parsePitrSettings(settings: Pick<Settings, 'get' | 'require'>): PitrSettings {
  const stanza = settings.get('PITR_STANZA') ?? 'obexal';
  if (!STANZA.test(stanza))
    throw new UsageError(
      `PITR_STANZA ${JSON.stringify(stanza)} is not a stanza name`,
      'use lower-case letters, digits, - and _',
    );
  const compression = (settings.get('PITR_COMPRESS') ?? 'zst') as PitrCompression;
  if (!COMPRESSIONS.includes(compression))
    throw new UsageError(`PITR_COMPRESS must be one of ${COMPRESSIONS.join(', ')}`);
  const region = settings.get('S3_REGION') ?? 'eu-central-1';
  const endpoint = parseEndpoint(settings.get('PITR_S3_ENDPOINT') ?? settings.get('S3_ENDPOINT'), region);
  const retentionDays = Number(settings.get('RETENTION_DAYS') ?? '14');
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw new UsageError('RETENTION_DAYS must be a whole number of days, 1 or more');
  const prefix = settings.get('PITR_S3_PREFIX') ?? `${settings.get('S3_PREFIX') ?? 'obexal/'}pgbackrest`;
  return {
    stanza,
    configFile: settings.get('PITR_CONFIG_FILE') ?? '/etc/pgbackrest/obexal-runbook.conf',
    repository: {
      bucket: settings.require(
        'S3_BUCKET',
        'set S3_BUCKET: the pgBackRest repository lives in the backup bucket under PITR_S3_PREFIX',
      ),
      ...endpoint,
      region,
      pathStyle: (settings.get('PITR_S3_PATH_STYLE') ?? settings.get('S3_FORCE_PATH_STYLE')) === 'true',
      path: repositoryPath(prefix),
      verifyTls: settings.get('PITR_S3_VERIFY_TLS') !== 'false',
      caFile: settings.get('PITR_S3_CA_FILE'),
    },
    compression,
    cipherPassCommand: settings.get('PITR_CIPHER_PASS_COMMAND'),
    restartCommand: settings.get('PITR_RESTART_COMMAND'),
    fullEveryMs: parseDuration(settings.get('PITR_FULL_EVERY') ?? '7d', 'PITR_FULL_EVERY'),
    retentionDays,
  };
}
