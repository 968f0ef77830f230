/**
 * Private temporary folders (0700) for decrypted dumps and other run-scoped files. Each holds a marker with
 * the owner's pid; `sweepPrivateDirs` removes the folders of processes that died without cleaning up (a
 * kill -9, a power cut), as DESIGN §4 asks at the next start. TMPDIR moves them off a RAM-backed /tmp.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'obexal-run-';
const MARKER = '.owner';

export async function makePrivateDir(label: string, base = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(base, `${PREFIX}${label.replace(/[^a-z0-9-]/gi, '')}-`));
  // mkdtemp creates 0700 already; the marker lets a later start recognise an abandoned folder.
  await writeFile(join(dir, MARKER), JSON.stringify({ pid: process.pid, host: hostname() }), { mode: 0o600 });
  return dir;
}

export async function removePrivateDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes abandoned private folders; returns the ones removed. */
export async function sweepPrivateDirs(base = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    return removed;
  }
  for (const name of entries) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(base, name);
    try {
      const owner = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { pid: number; host: string };
      if (owner.host !== hostname() || isProcessAlive(owner.pid)) continue;
    } catch {
      continue; // no readable marker: not ours to judge
    }
    await removePrivateDir(dir);
    removed.push(dir);
  }
  return removed;
}
