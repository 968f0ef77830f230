/**
 * Sweeps throwaway clusters that a dead run left behind (kill -9, a crash, a power cut): every
 * `obexal-pg-*` folder whose owner marker names a process that is gone gets its postmaster stopped and is
 * removed. Folders without a readable marker are left alone (a cluster being created right now, or not ours).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOwnerAlive, killPostmaster, MARKER_FILE, runningPostmasterOf, type OwnerMarker } from './cluster-process.js';

export const CLUSTER_DIR_PREFIX = 'obexal-pg-';
export const DATA_DIR_NAME = 'data';

async function readMarker(dir: string): Promise<OwnerMarker | undefined> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER_FILE), 'utf8')) as Partial<OwnerMarker>;
    if (typeof marker.pid !== 'number' || typeof marker.host !== 'string') return undefined;
    return marker as OwnerMarker;
  } catch {
    return undefined;
  }
}

/** Removes abandoned cluster folders under `base` (default: the system temp folder); returns the ones removed. */
export async function sweepStaleClusters(base: string = tmpdir()): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of entries) {
    if (!name.startsWith(CLUSTER_DIR_PREFIX)) continue;
    const dir = join(base, name);
    const marker = await readMarker(dir);
    if (!marker || isOwnerAlive(marker)) continue;
    const postmaster = runningPostmasterOf(join(dir, DATA_DIR_NAME));
    if (postmaster !== undefined) await killPostmaster(postmaster);
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // not ours to remove (another user's folder): leave it
    }
  }
  return removed;
}
