/**
 * Replication and pruning of BACKUP_DIR and the bucket take one lock, so that a prune never deletes what a
 * replication is uploading or verifying (and two replications do not upload the same dumps twice). It is not
 * the per-source lock of backup/restore/key rotation: those never delete old dumps, and a dump being written is
 * a `.partial` that retention leaves alone during its grace period.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, type LockHandle } from '../core/lock.js';
import { ensurePrivateSubdir } from './backup-dir.js';
import { LOCKS_DIR_NAME } from './source-lock.js';

export const MAINTENANCE_LOCK_NAME = 'replicate-retention.lock';
/** Long enough for a replication of a large dump to finish before a prune gives up waiting. */
export const MAINTENANCE_LOCK_WAIT_MS = 30 * 60 * 1000;

export function maintenanceLockPath(backupDir: string): string {
  return join(backupDir, LOCKS_DIR_NAME, MAINTENANCE_LOCK_NAME);
}

/**
 * Runs `fn` under the lock. When BACKUP_DIR does not exist there is nothing local to protect and no lock is
 * taken (creating the folder as a side effect of a prune would hide a wrong BACKUP_DIR).
 */
export async function withMaintenanceLock<T>(
  backupDir: string,
  purpose: string,
  fn: () => Promise<T>,
  options: { signal?: AbortSignal; waitMs?: number; onWait?: (message: string) => void } = {},
): Promise<T> {
  if (!existsSync(backupDir)) return fn();
  await ensurePrivateSubdir(join(backupDir, LOCKS_DIR_NAME));
  const lock = await acquireInterruptibly(maintenanceLockPath(backupDir), purpose, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** Waits for the lock (polling every 500 ms), saying who holds it; Ctrl+C ends the wait at once. */
function acquireInterruptibly(
  path: string,
  purpose: string,
  options: { signal?: AbortSignal; waitMs?: number; onWait?: (message: string) => void },
): Promise<LockHandle> {
  return acquireLock(path, {
    purpose,
    waitMs: options.waitMs ?? MAINTENANCE_LOCK_WAIT_MS,
    pollMs: 500,
    ...(options.signal ? { signal: options.signal } : {}),
    onWait: (holder) => {
      const who = holder
        ? `held by pid ${holder.pid} on ${holder.host} (${holder.purpose}) since ${holder.startedAt}`
        : 'held';
      options.onWait?.(`waiting for ${path}: ${who}`);
    },
  });
}
