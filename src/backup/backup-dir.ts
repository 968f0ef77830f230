/**
 * BACKUP_DIR: checked without touching anything (preflight), made 0700 when the dump starts. As root, `access`
 * says yes to almost everything, so the real proof of writability is creating the dump file itself; the
 * preflight catches what it can see: a path under a regular file, a read-only file system, a folder owned by
 * someone else, too little free space.
 */
import { constants } from 'node:fs';
import { access, chmod, mkdir, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { StepFailedError } from '../core/errors.js';
import { checkOwnedFolder } from '../core/owned-folder.js';

export interface BackupDirState {
  path: string;
  exists: boolean;
  /** The folder itself, or the nearest existing ancestor when it does not exist yet. */
  checkedAt: string;
  /** Mode bits of BACKUP_DIR when it exists (e.g. 0o700). */
  mode?: number;
  freeBytes: number;
}

function notWritable(path: string, why: string): StepFailedError {
  return new StepFailedError(
    `BACKUP_DIR ${path} is not usable: ${why}`,
    'point BACKUP_DIR at a folder this user may create and write (it is made 0700), or fix its ' +
      'ownership and permissions',
  );
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** Walks up to the nearest existing path; a regular file on the way means the folder can never exist. */
async function nearestExisting(path: string): Promise<{ at: string; isDir: boolean }> {
  let current = path;
  for (;;) {
    try {
      const info = await stat(current);
      return { at: current, isDir: info.isDirectory() };
    } catch (error) {
      const code = codeOf(error);
      if (code === 'ENOTDIR') {
        current = dirname(current);
        continue;
      }
      if (code !== 'ENOENT') throw notWritable(path, `${current}: ${code}`);
      const parent = dirname(current);
      if (parent === current) throw notWritable(path, 'no part of the path exists');
      current = parent;
    }
  }
}

/** Read-only check of BACKUP_DIR: exists or can be created, looks writable, and how much space is free. */
export async function inspectBackupDir(dir: string): Promise<BackupDirState> {
  const path = resolve(dir);
  checkOwnedFolder(path, 'BACKUP_DIR');
  const nearest = await nearestExisting(path);
  if (!nearest.isDir) {
    throw notWritable(
      path,
      nearest.at === path ? 'it is a file, not a folder' : `${nearest.at} is a file, so the folder cannot be created`,
    );
  }
  const exists = nearest.at === path;
  try {
    await access(nearest.at, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw notWritable(
      path,
      exists
        ? `this user may not write in it (${codeOf(error)})`
        : `this user may not create it in ${nearest.at} (${codeOf(error)})`,
    );
  }
  const fs = await statfs(nearest.at);
  const state: BackupDirState = {
    path,
    exists,
    checkedAt: nearest.at,
    freeBytes: Number(fs.bavail) * Number(fs.bsize),
  };
  if (exists) state.mode = (await stat(path)).mode & 0o777;
  return state;
}

/** Creates BACKUP_DIR (0700) or tightens an existing one to 0700; returns a note when it changed the mode. */
export async function ensureBackupDir(dir: string): Promise<string | undefined> {
  const path = resolve(dir);
  checkOwnedFolder(path, 'BACKUP_DIR');
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    const mode = (await stat(path)).mode & 0o777;
    if (mode !== 0o700) {
      await chmod(path, 0o700);
      return `BACKUP_DIR ${path} was mode ${mode.toString(8).padStart(4, '0')}: set to 0700 (dumps hold personal data)`;
    }
    return undefined;
  } catch (error) {
    if (error instanceof StepFailedError) throw error;
    throw notWritable(path, codeOf(error));
  }
}

/** A private sub-folder of BACKUP_DIR (locks), 0700. */
export async function ensurePrivateSubdir(path: string): Promise<void> {
  checkOwnedFolder(path, 'the locks folder');
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    await chmod(path, 0o700);
  } catch (error) {
    throw notWritable(path, codeOf(error));
  }
}
