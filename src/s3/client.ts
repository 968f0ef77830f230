/**
 * The S3 client for the configured bucket. Credentials come from the AWS SDK's default chain unless a caller
 * passes its own provider. The checksum mode matters: with `WHEN_SUPPORTED` the SDK frames streamed bodies with
 * CRC32 trailers (aws-chunked), which s3rver and several providers store as part of the object (MEASURED.md).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from './settings.js';

export interface S3ClientOptions {
  /** Attempts per request, retries included (SDK default 3). */
  maxAttempts?: number;
  /** Time allowed to open a connection (default 10 s). */
  connectionTimeoutMs?: number;
  /** Time a socket may stay idle during a request before it is dropped (default 120 s). */
  socketTimeoutMs?: number;
  /** Credentials other than the default chain (a test's wrong keys, a caller's own provider). */
  credentials?: S3ClientConfig['credentials'];
}

export const S3_CLIENT_DEFAULTS = {
  maxAttempts: 3,
  connectionTimeoutMs: 10_000,
  socketTimeoutMs: 120_000,
} as const;

/** A client and the settings it was made for: what every operation of this module takes. */
export interface S3Context {
  client: S3Client;
  settings: S3Settings;
}

export function createS3Client(settings: S3Settings, options: S3ClientOptions = {}): S3Client {
  const config: S3ClientConfig = {
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    requestChecksumCalculation: settings.checksum,
    responseChecksumValidation: settings.checksum,
    maxAttempts: options.maxAttempts ?? S3_CLIENT_DEFAULTS.maxAttempts,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? S3_CLIENT_DEFAULTS.connectionTimeoutMs,
      socketTimeout: options.socketTimeoutMs ?? S3_CLIENT_DEFAULTS.socketTimeoutMs,
    },
    // On AWS, a bucket in another region than S3_REGION still answers; the region policy is checked on the
    // bucket's own location (inspect.ts), not on S3_REGION.
    followRegionRedirects: settings.endpoint === undefined,
  };
  if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new S3Client(config);
}

export function openS3(settings: S3Settings, options: S3ClientOptions = {}): S3Context {
  return { client: createS3Client(settings, options), settings };
}

/** Closes the client's sockets (keep-alive connections would otherwise hold the process open a while). */
export function closeS3(context: S3Context): void {
  context.client.destroy();
}
