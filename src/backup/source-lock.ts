/**
 * The lock of DESIGN §4: one per source database, shared by backup, restore and key rotation, so that a dump
 * never races a restore or a re-encryption of the same database. Its name comes from the server's system
 * identifier (stable across renames of the host) and the database name.
 */
import { join } from 'node:path';
import { hostname } from 'node:os';
import { acquireLock, readLockOwner, type LockHandle } from '../core/lock.js';
import { ensurePrivateSubdir } from './backup-dir.js';

export const LOCKS_DIR_NAME = '.locks';

function safePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `BACKUP_DIR/.locks/<system identifier>-<database>.lock` */
export function sourceLockPath(backupDir: string, systemIdentifier: string, database: string): string {
  return join(backupDir, LOCKS_DIR_NAME, `${safePart(systemIdentifier)}-${safePart(database)}.lock`);
}

export interface SourceLockOptions {
  backupDir: string;
  systemIdentifier: string;
  database: string;
  /** What the lock is for, shown to whoever finds it held ("backup of 127.0.0.1:5432/obexal"). */
  purpose: string;
  waitMs?: number;
}

export interface SourceLock extends LockHandle {
  /** This process already held the lock (a runbook that takes it, then runs backup steps): nothing to release. */
  readonly reentered: boolean;
}

/**
 * Takes the source lock (creating `.locks` 0700); a stale lock of a dead process is taken over. A lock this very
 * process already holds is re-entered, not waited for: key rotation and restore hold it across their own
 * safety backups, and the engine runs one run at a time in a process.
 */
export async function acquireSourceLock(options: SourceLockOptions): Promise<SourceLock> {
  const path = sourceLockPath(options.backupDir, options.systemIdentifier, options.database);
  await ensurePrivateSubdir(join(options.backupDir, LOCKS_DIR_NAME));
  const owner = await readLockOwner(path);
  if (owner && owner.pid === process.pid && owner.host === hostname()) {
    return { path, owner, reentered: true, release: async () => undefined };
  }
  const handle = await acquireLock(path, { purpose: options.purpose, waitMs: options.waitMs ?? 0 });
  return Object.assign(handle, { reentered: false });
}
