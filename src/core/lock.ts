/**
 * Exclusive lock files. A lock is a file created with `wx` holding `{pid, host, startedAt, purpose}`.
 *
 * A lock whose process is dead on this host is stale and is taken over. Taking over replaces the file by renaming a
 * fresh one over it, inside a per-stale-lock guard file (also created with `wx`) and after re-reading that the lock
 * still holds the very bytes judged stale: two takers cannot both win, and a lock that changed meanwhile (released,
 * taken by a live process) is left alone. A taker that dies inside the guard leaves a guard whose pid is dead, and
 * the next taker moves on to the next guard generation.
 *
 * A lock held by a live process (or by another host, which cannot be checked from here) is waited for, polling,
 * up to `waitMs`; then `LockHeldError` names the holder. The wait ends at once when `signal` aborts (Ctrl+C,
 * SIGTERM), and `onWait` hears who holds the lock when the wait starts and whenever the holder changes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { StepFailedError } from './errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  purpose: string;
}

export interface LockHandle {
  readonly path: string;
  readonly owner: LockOwner;
  /** The dead process whose stale lock this one replaced, when it was taken over. */
  readonly takenOverFrom?: LockOwner;
  /** Remove the lock if it is still ours. Safe to call more than once. */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  /** What the lock is for, shown to whoever finds it held ("backup of obexal@db:5432"). */
  purpose: string;
  /** How long to wait for a live holder; 0 (the default) fails at once. */
  waitMs?: number;
  /** Poll interval while waiting (100 ms). */
  pollMs?: number;
  /** Ends the wait at once with the signal's reason. */
  signal?: AbortSignal;
  /** Told who holds the lock when a wait starts and whenever the holder changes (undefined: unreadable file). */
  onWait?: (holder: LockOwner | undefined, waitMs: number) => void;
}

/** A lock file whose content cannot be read is being written; past this age it is considered abandoned. */
const UNREADABLE_STALE_MS = 10_000;

export class LockHeldError extends StepFailedError {
  readonly lockPath: string;
  readonly holder: LockOwner | undefined;
  constructor(lockPath: string, holder: LockOwner | undefined, wantedFor: string, waitedMs: number) {
    const who = holder
      ? `pid ${holder.pid} on host ${holder.host} (purpose: ${holder.purpose}) since ${holder.startedAt}`
      : 'a process whose lock file cannot be read';
    const sameHost = holder?.host === hostname();
    const hint = !holder
      ? `if no obexal-runbook run is active, remove ${lockPath} and try again`
      : sameHost
        ? `another run holds it: wait for it to finish (\`ps -p ${holder.pid}\` shows it) and try again; ` +
          `if that pid is not an obexal-runbook process any more, remove ${lockPath}`
        : `the lock was taken on host ${holder.host}, where this host cannot check the process: ` +
          `if no run is active there, remove ${lockPath} and try again`;
    super(
      `the lock ${lockPath} is held by ${who}; gave up after waiting ${waitedMs} ms (wanted for: ${wantedFor})`,
      hint,
    );
    this.lockPath = lockPath;
    this.holder = holder;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function parseOwner(bytes: Buffer): LockOwner | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<LockOwner>;
    if (!Number.isInteger(value.pid) || (value.pid ?? 0) <= 0 || typeof value.host !== 'string') return undefined;
    return {
      pid: value.pid as number,
      host: value.host,
      startedAt: String(value.startedAt ?? '?'),
      purpose: String(value.purpose ?? '?'),
    };
  } catch {
    return undefined;
  }
}

/** true: alive; false: dead on this host; undefined: on another host, cannot tell. */
export function isLockOwnerAlive(owner: LockOwner): boolean | undefined {
  if (owner.host !== hostname()) return undefined;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH'; // EPERM: alive, owned by another user
  }
}

async function readCurrent(path: string): Promise<{ bytes: Buffer; mtimeMs: number } | undefined> {
  try {
    const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
    return { bytes, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Create `path` exclusively with `content`; false when it already exists. */
async function createExclusive(path: string, content: Buffer): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw new StepFailedError(
      `cannot create the lock file ${path}: ${errorCode(error) ?? String(error)}`,
      'check that its folder exists and that this user may write to it',
      error,
    );
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Replace the stale lock (exactly `staleBytes`) by `fresh`; false when another taker is at it or it changed. */
async function takeOver(path: string, staleBytes: Buffer, fresh: Buffer, guardContent: Buffer): Promise<boolean> {
  const tag = createHash('sha256').update(staleBytes).digest('hex').slice(0, 16);
  for (let generation = 1; ; generation++) {
    const guard = `${path}.takeover-${tag}-${generation}`;
    if (!(await createExclusive(guard, guardContent))) {
      const guardOwner = parseOwner((await readCurrent(guard))?.bytes ?? Buffer.alloc(0));
      if (guardOwner && isLockOwnerAlive(guardOwner) === false) continue; // that taker died inside the guard
      return false;
    }
    try {
      const current = await readCurrent(path);
      if (!current || !current.bytes.equals(staleBytes)) return false;
      const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      if (!(await createExclusive(temporary, fresh))) return false;
      try {
        await rename(temporary, path);
      } catch (error) {
        await removeQuietly(temporary);
        throw error;
      }
      for (let older = 1; older < generation; older++) await removeQuietly(`${path}.takeover-${tag}-${older}`);
      return true;
    } finally {
      await removeQuietly(guard);
    }
  }
}

function isStale(owner: LockOwner | undefined, mtimeMs: number): boolean {
  if (!owner) return Date.now() - mtimeMs > UNREADABLE_STALE_MS;
  return isLockOwnerAlive(owner) === false;
}

export async function readLockOwner(path: string): Promise<LockOwner | undefined> {
  const current = await readCurrent(path);
  return current ? parseOwner(current.bytes) : undefined;
}

export async function acquireLock(path: string, options: AcquireLockOptions): Promise<LockHandle> {
  const waitMs = Math.max(0, options.waitMs ?? 0);
  const pollMs = Math.max(5, options.pollMs ?? 100);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    purpose: options.purpose,
  };
  const content = Buffer.from(`${JSON.stringify(owner)}\n`, 'utf8');
  const guardContent = Buffer.from(`${JSON.stringify({ ...owner, purpose: `taking over ${path}` })}\n`, 'utf8');
  const deadline = Date.now() + waitMs;

  let released = false;
  const handleOf = (takenOverFrom?: LockOwner): LockHandle => ({
    path,
    owner,
    ...(takenOverFrom ? { takenOverFrom } : {}),
    async release() {
      if (released) return;
      released = true;
      const current = await readCurrent(path);
      if (current?.bytes.equals(content)) await removeQuietly(path);
    },
  });

  let toldAbout: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await createExclusive(path, content)) return handleOf();
    const current = await readCurrent(path);
    if (!current) continue; // released between our attempt and the read: try again at once
    const holder = parseOwner(current.bytes);
    if (isStale(holder, current.mtimeMs) && (await takeOver(path, current.bytes, content, guardContent))) {
      return handleOf(holder);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new LockHeldError(path, holder, options.purpose, waitMs);
    const holderText = current.bytes.toString('utf8');
    if (holderText !== toldAbout) {
      toldAbout = holderText;
      options.onWait?.(holder, remaining);
    }
    const wait = options.signal ? { signal: options.signal } : undefined;
    await sleep(Math.min(pollMs, remaining), undefined, wait).catch((error: unknown) => {
      throw options.signal?.aborted ? options.signal.reason : error;
    });
  }
}
