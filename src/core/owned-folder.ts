/**
 * The tool's folders (BACKUP_DIR, RECORDS_DIR, the state folder) must belong to the user running it: in a folder
 * owned by another user, that user can rename or replace our dumps and records, and tightening its mode to 0700
 * would take it away from its owner. A symlink is followed and the folder it leads to is checked the same way. A
 * folder that does not exist yet passes (the tool creates it, owned by this user). Refused with exit 2: the
 * setting names the wrong folder, as any other configuration mistake (DESIGN §3).
 */
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';

function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    return line ? `${line.split(':')[0]} (uid ${uid})` : `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The running user's uid, or undefined where there is none (Windows). */
function runningUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Refuses `path` (named `what`, e.g. "BACKUP_DIR") when it exists and, after following symlinks, is not owned by
 * the running user. Returns the folder it resolves to (the path itself when it does not exist yet).
 */
export function checkOwnedFolder(path: string, what: string): string {
  const absolute = resolve(path);
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    return absolute; // does not exist (yet): whatever creates it owns it
  }
  const uid = runningUid();
  if (uid === undefined) return real;
  const me = `${userInfo().username} (uid ${uid})`;
  const linkInfo = lstatSync(absolute);
  // Whoever owns the link itself can point it elsewhere later: it must be ours too (or root's, as /etc links are).
  if (linkInfo.isSymbolicLink() && linkInfo.uid !== uid && linkInfo.uid !== 0) {
    throw new UsageError(
      `${what} ${absolute} is a symlink owned by ${userName(linkInfo.uid)}, not by ${me} who runs this: ` +
        'its owner could point it at another folder; refusing to use it, nothing was written',
      `point ${what} at the folder itself (${real}) or at a symlink of ${me}`,
    );
  }
  const info = statSync(real);
  if (info.uid === uid) return real;
  const link = real !== absolute ? ` (through a symlink: the folder is ${real})` : '';
  throw new UsageError(
    `${what} ${absolute}${link} is owned by ${userName(info.uid)}, mode ${modeText(info.mode)}, ` +
      `not by ${me} who runs this: ` +
      'refusing to use it (its owner could rename or replace what is written there); nothing was written',
    `point ${what} at a folder of ${me} (it is created 0700 when missing), ` +
      `or have it handed over: \`chown ${uid} ${real}\` (as root)`,
  );
}
