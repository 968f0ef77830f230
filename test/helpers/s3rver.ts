/**
 * A real S3-compatible server for tests: the practice sandbox's local bucket (s3rver over HTTP on 127.0.0.1,
 * its own process, storage in a temporary folder removed on stop). `env` points the S3 module at it.
 * s3rver checks the access key id but not SigV4 signatures: a wrong secret key is accepted
 * (test/s3/preflight.test.ts pins this down).
 */
import { startLocalBucket, type LocalBucket } from '../../src/sandbox/local-bucket.js';

export { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY } from '../../src/sandbox/local-bucket.js';
export type StartedS3rver = LocalBucket;

export function startS3rver(options: { bucket?: string; region?: string } = {}): Promise<StartedS3rver> {
  return startLocalBucket({ bucket: options.bucket ?? 'obexal-test', region: options.region });
}
