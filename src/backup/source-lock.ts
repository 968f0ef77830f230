/**
 * The lock of DESIGN §4: one per source database, shared by backup, restore and key rotation (and rollback), so
 * that a dump never races a restore or a re-encryption of the same database. Its name comes from the server's
 * system identifier (stable across renames of the host) and the database name; it lives in the tool's state
 * folder (the configuration folder, `OBEXAL_RUNBOOK_CONFIG_DIR`), never under BACKUP_DIR, so that runs with
 * different BACKUP_DIRs still exclude each other. docs/faults.md says why a file here and not an advisory lock on
 * the server.
 *
 * A backup writing a `.partial` dump notes its path beside the lock (`<lock>.partial`): when a later run takes the
 * lock over from the dead process, that partial is proven abandoned and is removed at once.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { hostname } from 'node:os';
import { acquireLock, readLockOwner, type LockHandle, type LockOwner } from '../core/lock.js';
import { ensurePrivateSubdir } from './backup-dir.js';
import { PARTIAL_SUFFIX } from './manifest.js';

export const LOCKS_DIR_NAME = '.locks';

function safePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `<state folder>/.locks/<system identifier>-<database>.lock` */
export function sourceLockPath(stateDir: string, systemIdentifier: string, database: string): string {
  return join(stateDir, LOCKS_DIR_NAME, `${safePart(systemIdentifier)}-${safePart(database)}.lock`);
}

export interface SourceLockOptions {
  /** The tool's state folder (Settings.configDir). */
  stateDir: string;
  systemIdentifier: string;
  database: string;
  /** What the lock is for, shown to whoever finds it held ("backup of 127.0.0.1:5432/obexal (run …)"). */
  purpose: string;
  waitMs?: number;
  signal?: AbortSignal;
  onWait?: (holder: LockOwner | undefined, waitMs: number) => void;
}

export interface SourceLock extends LockHandle {
  /** This process already held the lock (a runbook that takes it, then runs backup steps): nothing to release. */
  readonly reentered: boolean;
  /** The `.partial` dump the dead holder left, removed when its lock was taken over. */
  readonly removedPartial?: string;
}

/** The source lock this process holds, for `notePartialUnderLock`. */
let held: { path: string; pid: number } | undefined;

function partialNotePath(lockPath: string): string {
  return `${lockPath}${PARTIAL_SUFFIX}`;
}

/**
 * Takes the source lock (creating `.locks` 0700); a stale lock of a dead process is taken over. A lock this very
 * process already holds is re-entered, not waited for: key rotation and restore hold it across their own
 * safety backups, and the engine runs one run at a time in a process.
 */
export async function acquireSourceLock(options: SourceLockOptions): Promise<SourceLock> {
  const path = sourceLockPath(options.stateDir, options.systemIdentifier, options.database);
  await ensurePrivateSubdir(join(options.stateDir, LOCKS_DIR_NAME));
  const owner = await readLockOwner(path);
  if (owner && owner.pid === process.pid && owner.host === hostname()) {
    return { path, owner, reentered: true, release: async () => undefined };
  }
  const handle = await acquireLock(path, {
    purpose: options.purpose,
    waitMs: options.waitMs ?? 0,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onWait ? { onWait: options.onWait } : {}),
  });
  const removedPartial = handle.takenOverFrom ? await removeDeadPartial(path, handle.takenOverFrom) : undefined;
  held = { path, pid: process.pid };
  const release = async () => {
    if (held?.path === path) held = undefined;
    await unlink(partialNotePath(path)).catch(() => undefined);
    await handle.release();
  };
  return {
    path,
    owner: handle.owner,
    reentered: false,
    release,
    ...(handle.takenOverFrom ? { takenOverFrom: handle.takenOverFrom } : {}),
    ...(removedPartial ? { removedPartial } : {}),
  };
}

/**
 * Notes (or, with undefined, forgets) the `.partial` dump this process is writing under its source lock.
 * Synchronous: the note exists before the dump's first byte, so a kill at any later point leaves it behind.
 */
export function notePartialUnderLock(partial: string | undefined): void {
  if (!held) return;
  const note = partialNotePath(held.path);
  try {
    if (partial === undefined) unlinkSync(note);
    else writeFileSync(note, `${JSON.stringify({ pid: held.pid, host: hostname(), partial })}\n`, { mode: 0o600 });
  } catch {
    // best effort: without the note, retention still prunes the partial after its grace period
  }
}

/** The partial noted by the dead holder, removed when it is one of our dump partials; returns its path. */
async function removeDeadPartial(lockPath: string, dead: LockOwner): Promise<string | undefined> {
  const note = partialNotePath(lockPath);
  let noted: { pid?: unknown; host?: unknown; partial?: unknown };
  try {
    noted = JSON.parse(await readFile(note, 'utf8')) as typeof noted;
  } catch {
    return undefined;
  }
  await unlink(note).catch(() => undefined);
  const partial = typeof noted.partial === 'string' ? noted.partial : '';
  const ours = /^obexal-\d{8}T\d{6}Z\.dump(\.zst)?(\.age)?\.partial$/.test(basename(partial));
  if (noted.pid !== dead.pid || noted.host !== dead.host || !ours) return undefined;
  try {
    await unlink(partial);
    return partial;
  } catch {
    return undefined;
  }
}
