/**
 * Process bookkeeping for throwaway clusters: who owns a cluster folder (pid plus start time, so that a reused
 * pid does not keep a dead run's folder alive), which postmaster serves a data folder, and ending that
 * postmaster with an immediate shutdown (SIGQUIT, then SIGKILL) without ever signalling an unrelated process.
 */
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OwnerMarker {
  pid: number;
  host: string;
  /** Start time of the owner in clock ticks since boot (Linux), to tell a reused pid apart. */
  startTicks?: string;
  createdAt: string;
}

export const MARKER_FILE = 'owner.json';

/** Field 22 of /proc/<pid>/stat; undefined where there is no /proc. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A zombie (exited, not yet reaped: e.g. under a container init that does not reap) counts as dead. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

export function ownMarker(): OwnerMarker {
  const marker: OwnerMarker = { pid: process.pid, host: hostname(), createdAt: new Date().toISOString() };
  const ticks = processStartTicks(process.pid);
  if (ticks !== undefined) marker.startTicks = ticks;
  return marker;
}

/** True when the process that wrote `marker` is still running on this host. */
export function isOwnerAlive(marker: OwnerMarker): boolean {
  if (marker.host !== hostname()) return true; // another machine's folder (shared tmp): not ours to judge
  if (!isAlive(marker.pid)) return false;
  if (marker.startTicks === undefined) return true;
  const ticks = processStartTicks(marker.pid);
  return ticks === undefined || ticks === marker.startTicks;
}

function sameFolder(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * The pid of the postmaster that serves `dataDir`, when one is running: from postmaster.pid, confirmed by the
 * process's working folder (the postmaster works in its data folder) or, without /proc, by the pid file's
 * second line.
 */
export function runningPostmasterOf(dataDir: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    return sameFolder(readlinkSync(`/proc/${pid}/cwd`), dataDir) ? pid : undefined;
  } catch {
    return lines[1] !== undefined && sameFolder(lines[1], dataDir) ? pid : undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Immediate shutdown, blocking (for the process 'exit' handler, where nothing asynchronous runs). */
export function killPostmasterSync(pid: number, graceMs = 5_000): void {
  signal(pid, 'SIGQUIT');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) Atomics.wait(sleeper, 0, 0, 20);
  if (isAlive(pid)) {
    signal(pid, 'SIGKILL');
    const hardDeadline = Date.now() + 2_000;
    while (isAlive(pid) && Date.now() < hardDeadline) Atomics.wait(sleeper, 0, 0, 20);
  }
}

/** Immediate shutdown; resolves once the postmaster is gone. */
export async function killPostmaster(pid: number, graceMs = 5_000): Promise<void> {
  signal(pid, 'SIGQUIT');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(20);
  if (isAlive(pid)) {
    signal(pid, 'SIGKILL');
    const hardDeadline = Date.now() + 2_000;
    while (isAlive(pid) && Date.now() < hardDeadline) await sleep(20);
  }
}
