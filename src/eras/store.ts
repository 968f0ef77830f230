/**
 * Where the key-era register lives: `<S3_PREFIX>key-eras.json` in the bucket (the copy that wins when it can be
 * reached) and `BACKUP_DIR/key-eras.json` (0600), which serves when the bucket cannot be reached. Writing
 * updates both. The AWS SDK is loaded only when a bucket is configured.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { messageOf, UsageError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { S3Settings } from '../s3/settings.js';
import { parseRegister, REGISTER_FILE_NAME, type KeyEraRegister } from './register.js';

export interface RegisterLocation {
  backupDir: string;
  /** The bucket, when one is configured. */
  s3?: S3Settings;
}

export type BucketCopyState = 'read' | 'absent' | 'unreachable' | 'not-configured';

export interface RegisterRead {
  /** The register in force: the bucket's when it was read, else the local copy, else none. */
  register: KeyEraRegister | undefined;
  source: 'bucket' | 'local' | 'none';
  bucket: BucketCopyState;
  /** Why the bucket copy could not be read (redacted). */
  bucketError?: string;
  local: KeyEraRegister | undefined;
}

export function localRegisterPath(backupDir: string): string {
  return join(backupDir, REGISTER_FILE_NAME);
}

export async function readLocalRegister(backupDir: string): Promise<KeyEraRegister | undefined> {
  const path = localRegisterPath(backupDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseRegister(undefined, path); // reports "not valid"
  }
  return parseRegister(value, path);
}

type S3Modules = typeof import('../s3/client.js') &
  typeof import('../s3/objects.js') &
  Pick<typeof import('../s3/settings.js'), 'describeLocation'>;

async function withBucket<T>(
  settings: S3Settings,
  work: (s3: S3Modules, context: import('../s3/client.js').S3Context) => Promise<T>,
): Promise<T> {
  const [client, objects, { describeLocation }] = await Promise.all([
    import('../s3/client.js'),
    import('../s3/objects.js'),
    import('../s3/settings.js'),
  ]);
  const s3: S3Modules = { ...client, ...objects, describeLocation };
  const context = s3.openS3(settings, { maxAttempts: 2 });
  try {
    return await work(s3, context);
  } finally {
    s3.closeS3(context);
  }
}

export async function readBucketRegister(
  settings: S3Settings,
  signal?: AbortSignal,
): Promise<KeyEraRegister | undefined> {
  return withBucket(settings, async (s3, context) => {
    const found = await s3.getJson(context, REGISTER_FILE_NAME, { signal });
    return found === undefined
      ? undefined
      : parseRegister(found.value, s3.describeLocation(settings, REGISTER_FILE_NAME));
  });
}

/** Reads the register: the bucket's copy when reachable, else the local one. A damaged copy throws. */
export async function readRegister(
  location: RegisterLocation,
  options: { signal?: AbortSignal } = {},
): Promise<RegisterRead> {
  const local = await readLocalRegister(location.backupDir);
  if (!location.s3) return { register: local, source: local ? 'local' : 'none', bucket: 'not-configured', local };
  let fromBucket: KeyEraRegister | undefined;
  try {
    fromBucket = await readBucketRegister(location.s3, options.signal);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (error instanceof UsageError) throw error; // a damaged register is not "unreachable"
    return {
      register: local,
      source: local ? 'local' : 'none',
      bucket: 'unreachable',
      bucketError: redact(messageOf(error)),
      local,
    };
  }
  if (fromBucket) return { register: fromBucket, source: 'bucket', bucket: 'read', local };
  return { register: local, source: local ? 'local' : 'none', bucket: 'absent', local };
}

export async function writeLocalRegister(backupDir: string, register: KeyEraRegister): Promise<string> {
  const path = localRegisterPath(backupDir);
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(register, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return path;
}

export async function writeBucketRegister(
  settings: S3Settings,
  register: KeyEraRegister,
  signal?: AbortSignal,
): Promise<string> {
  return withBucket(settings, async (s3, context) => {
    await s3.putJson(context, REGISTER_FILE_NAME, register, { signal });
    return s3.describeLocation(settings, REGISTER_FILE_NAME);
  });
}

export interface RegisterWrite {
  localPath: string;
  /** Where the bucket copy went, or why it could not be written (the local copy serves meanwhile). */
  bucket: { written: string } | { error: string } | 'not-configured';
}

/** Writes both copies; a bucket failure is reported, not thrown (the next run uploads the local copy). */
export async function writeRegister(
  register: KeyEraRegister,
  location: RegisterLocation,
  options: { signal?: AbortSignal } = {},
): Promise<RegisterWrite> {
  const localPath = await writeLocalRegister(location.backupDir, register);
  if (!location.s3) return { localPath, bucket: 'not-configured' };
  try {
    return { localPath, bucket: { written: await writeBucketRegister(location.s3, register, options.signal) } };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { localPath, bucket: { error: redact(messageOf(error)) } };
  }
}

export function sameRegister(a: KeyEraRegister | undefined, b: KeyEraRegister | undefined): boolean {
  return isDeepStrictEqual(a, b);
}
