/** Shared by the S3 tests: random files, a closed port, contexts against s3rver. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { openS3, type S3ClientOptions, type S3Context } from '../../src/s3/client.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';

/** Small retry and timeout settings so failure tests are quick (production keeps the defaults). */
export const FAST: S3ClientOptions = { maxAttempts: 2, connectionTimeoutMs: 2000, socketTimeoutMs: 30_000 };

/** Points the SDK's default credential chain at s3rver (each test file runs in its own process). */
export function useEnvCredentials(env: Record<string, string>): void {
  process.env['AWS_ACCESS_KEY_ID'] = env['AWS_ACCESS_KEY_ID'];
  process.env['AWS_SECRET_ACCESS_KEY'] = env['AWS_SECRET_ACCESS_KEY'];
  delete process.env['AWS_PROFILE'];
  delete process.env['AWS_SESSION_TOKEN'];
}

export function contextFor(env: Record<string, string | undefined>, options: S3ClientOptions = FAST): S3Context {
  return openS3(s3SettingsFromEnv(env), options);
}

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'obexal-s3-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `size` random bytes; returns their SHA-256. */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path, { mode: 0o600 });
  let left = size;
  while (left > 0) {
    const chunk = randomBytes(Math.min(left, 1 << 20));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return hash.digest('hex');
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  server.close();
  await once(server, 'close');
  return address.port;
}
