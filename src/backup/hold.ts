/**
 * The retention hold: while `retention-hold.json` exists in BACKUP_DIR or under S3_PREFIX in the bucket,
 * retention deletes nothing, anywhere (an incident may need any backup). The bucket copy makes a hold placed
 * on one host visible to every host that prunes the same bucket.
 */
import { readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { StepFailedError } from '../core/errors.js';
import type { S3Context } from '../s3/client.js';

export const HOLD_FILE_NAME = 'retention-hold.json';

export const HoldSchema = z.object({ since: z.string(), reason: z.string(), by: z.string() });
export type Hold = z.infer<typeof HoldSchema>;

export interface HoldState {
  local?: Hold;
  bucket?: Hold;
}

export function activeHold(state: HoldState): Hold | undefined {
  return state.local ?? state.bucket;
}

export function describeHold(hold: Hold): string {
  return `retention hold active since ${hold.since} by ${hold.by}: ${hold.reason}`;
}

export function operatorAtHost(): string {
  let user = process.env['SUDO_USER'];
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${hostname()}`;
}

export function newHold(reason: string, now = new Date()): Hold {
  const text = reason.trim() || 'no reason given';
  return { since: now.toISOString(), reason: text, by: operatorAtHost() };
}

/** A hold file that exists but cannot be read still holds: an unreadable hold must never release deletions. */
function holdFromUnknown(value: unknown, where: string): Hold {
  const parsed = HoldSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  return { since: 'unknown', reason: `unreadable hold file ${where} (treated as a hold)`, by: 'unknown' };
}

export async function readLocalHold(backupDir: string): Promise<Hold | undefined> {
  const path = join(backupDir, HOLD_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return holdFromUnknown(undefined, path);
  }
  try {
    return holdFromUnknown(JSON.parse(text), path);
  } catch {
    return holdFromUnknown(undefined, path);
  }
}

export async function writeLocalHold(backupDir: string, hold: Hold): Promise<string> {
  const path = join(backupDir, HOLD_FILE_NAME);
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, `${JSON.stringify(hold, null, 2)}\n`, { mode: 0o600 });
    await chmod(partial, 0o600);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    throw new StepFailedError(
      `cannot write the hold ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'check BACKUP_DIR exists and is writable by this user',
      error,
    );
  }
  return path;
}

export async function removeLocalHold(backupDir: string): Promise<boolean> {
  const path = join(backupDir, HOLD_FILE_NAME);
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StepFailedError(
      `cannot remove the hold ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'check the permissions of BACKUP_DIR',
    );
  }
}

export async function readBucketHold(context: S3Context, signal?: AbortSignal): Promise<Hold | undefined> {
  const { getJson } = await import('../s3/objects.js');
  const { S3VerificationError } = await import('../s3/errors.js');
  try {
    const object = await getJson<unknown>(context, HOLD_FILE_NAME, { signal });
    return object ? holdFromUnknown(object.value, HOLD_FILE_NAME) : undefined;
  } catch (error) {
    if (
      error instanceof S3VerificationError ||
      (error instanceof StepFailedError && /not valid JSON/.test(error.message))
    ) {
      return holdFromUnknown(undefined, `${context.settings.prefix}${HOLD_FILE_NAME}`);
    }
    throw error;
  }
}

export async function writeBucketHold(context: S3Context, hold: Hold, signal?: AbortSignal): Promise<void> {
  const { putJson } = await import('../s3/objects.js');
  const { readObjectLock } = await import('../s3/inspect.js');
  const lock = await readObjectLock(context, { signal });
  await putJson(context, HOLD_FILE_NAME, hold, { signal, ...(lock.status === 'enabled' ? { objectLock: {} } : {}) });
}

export async function removeBucketHold(context: S3Context, signal?: AbortSignal): Promise<boolean> {
  const { deleteObjects, headObject } = await import('../s3/objects.js');
  if (!(await headObject(context, HOLD_FILE_NAME, { signal }))) return false;
  await deleteObjects(context, [HOLD_FILE_NAME], { signal });
  return true;
}
