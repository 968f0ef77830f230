/**
 * Room in the private folder before anything large is written there (a decrypted dump is as large as the
 * archive). TMPDIR moves the folder; a RAM-backed file system (tmpfs) is named, since a dump there costs memory.
 */
import { statfs } from 'node:fs/promises';
import { StepFailedError } from '../core/errors.js';
import { formatBytes } from '../core/format.js';

const TMPFS_MAGIC = 0x01021994;
const MARGIN_BYTES = 16 * 1024 * 1024;

export interface SpaceCheck {
  freeBytes: number;
  ramBacked: boolean;
}

export async function checkFreeSpace(dir: string, neededBytes: number, what: string): Promise<SpaceCheck> {
  const fs = await statfs(dir);
  const freeBytes = Number(fs.bavail) * Number(fs.bsize);
  const ramBacked = Number(fs.type) === TMPFS_MAGIC;
  const needed = Math.ceil(neededBytes * 1.02) + MARGIN_BYTES;
  if (freeBytes < needed) {
    throw new StepFailedError(
      `not enough room for ${what} in ${dir}: about ${formatBytes(needed)} needed, ${formatBytes(freeBytes)} free`,
      `point TMPDIR at a folder on a disk with room (not a RAM-backed /tmp), e.g. TMPDIR=/var/tmp; nothing was changed`,
    );
  }
  return { freeBytes, ramBacked };
}
