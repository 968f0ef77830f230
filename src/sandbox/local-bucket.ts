/**
 * A local S3-compatible bucket (s3rver) on 127.0.0.1 and a free port, storage in a private folder. It runs
 * as its own process with `--openssl-legacy-provider`: s3rver makes ListObjectsV2 continuation tokens with
 * DES, which Node 20's OpenSSL 3 refuses by default. s3rver checks the access key id but not signatures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StepFailedError } from '../core/errors.js';

export const S3RVER_ACCESS_KEY_ID = 'S3RVER';
export const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';
const STARTUP_TIMEOUT_MS = 15_000;

export interface LocalBucket {
  endpoint: string;
  bucket: string;
  directory: string;
  pid: number;
  env: Record<string, string>;
  storedObjectPath(key: string): string;
  stop(): Promise<void>;
}

function s3rverBin(): string {
  const packageJson = createRequire(import.meta.url).resolve('s3rver/package.json');
  return join(dirname(packageJson), 'bin', 's3rver.js');
}

const S3RVER_HINT =
  "run `npm ci` in the tool's folder (s3rver is one of its dependencies) and start the sandbox " +
  'again; its output, quoted in this message, says why it stopped';

async function listeningPort(child: ChildProcess): Promise<number> {
  let output = '';
  return await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        fail(
          new StepFailedError(
            `the local bucket (s3rver) did not start within ${STARTUP_TIMEOUT_MS / 1000} s: ${output.trim()}`,
            S3RVER_HINT,
          ),
        ),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /S3rver listening on [^:\s]+:(\d+)/.exec(output);
      if (match) done(() => resolve(Number(match[1])));
    };
    const onExit = (code: number | null): void =>
      fail(
        new StepFailedError(
          `the local bucket (s3rver) exited (${code}) before listening: ${output.trim()}`,
          S3RVER_HINT,
        ),
      );
    const fail = (error: Error): void => done(() => reject(error));
    function done(settle: () => void): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      settle();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** A key and certificate (PEM files) make it serve HTTPS, as pgBackRest's S3 repository requires. */
export interface LocalBucketTls {
  keyFile: string;
  certFile: string;
}

function spawnS3rver(directory: string, bucket: string, tls: LocalBucketTls | undefined): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      s3rverBin(),
      ...['--directory', directory, '--address', '127.0.0.1', '--port', '0', '--silent', '--configure-bucket', bucket],
      ...(tls ? ['--key', tls.keyFile, '--cert', tls.certFile] : []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() },
    },
  );
}

/** The settings that point this tool at the bucket. */
function bucketEnv(bucket: string, endpoint: string, region: string): Record<string, string> {
  return {
    S3_BUCKET: bucket,
    S3_ENDPOINT: endpoint,
    S3_REGION: region,
    S3_FORCE_PATH_STYLE: 'true',
    S3_CHECKSUM: 'WHEN_REQUIRED',
    AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: S3RVER_SECRET_ACCESS_KEY,
  };
}

export async function startLocalBucket(
  options: { bucket?: string; region?: string; parentDir?: string; tls?: LocalBucketTls } = {},
): Promise<LocalBucket> {
  const bucket = options.bucket ?? 'obexal-backups';
  const region = options.region ?? 'eu-central-1';
  const directory = await mkdtemp(join(options.parentDir ?? tmpdir(), 'obexal-s3rver-'));
  const child = spawnS3rver(directory, bucket, options.tls);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let port: number;
  try {
    port = await listeningPort(child);
  } catch (error) {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  let stopped = false;
  return {
    endpoint,
    bucket,
    directory,
    pid: child.pid ?? 0,
    env: bucketEnv(bucket, endpoint, region),
    storedObjectPath(key: string) {
      if (!/^[A-Za-z0-9._/-]+$/.test(key)) throw new Error(`storedObjectPath handles plain keys only: ${key}`);
      const parts = key.split('/');
      const last = parts.pop() ?? '';
      return join(directory, bucket, ...parts, `${last}._S3rver_object`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', killOnExit);
      try {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        }
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
