/**
 * Who runs the server programs. `initdb` and `postgres` refuse to run as root, so when this process is root
 * (CI and the test machine are) they run as the unprivileged `postgres` user, which Debian's, Red Hat's and
 * Alpine's packages create. Otherwise they run as ourselves.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { ClusterError } from './errors.js';

const execFileAsync = promisify(execFile);

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export const DEFAULT_SERVER_USER = 'postgres';

function parsePasswdLine(text: string, name: string): ServerUser | undefined {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== name || fields.length < 4) continue;
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { name, uid, gid };
  }
  return undefined;
}

async function lookUpUser(name: string): Promise<ServerUser | undefined> {
  try {
    const found = parsePasswdLine(await readFile('/etc/passwd', 'utf8'), name);
    if (found) return found;
  } catch {
    // no /etc/passwd: ask the name service below
  }
  try {
    const { stdout } = await execFileAsync('getent', ['passwd', name], { timeout: 5_000 });
    return parsePasswdLine(stdout, name);
  } catch {
    return undefined;
  }
}

/** The user to run server programs as, or undefined to run them as ourselves (we are not root). */
export async function serverUserFor(name = DEFAULT_SERVER_USER): Promise<ServerUser | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const user = await lookUpUser(name);
  if (!user) {
    throw new ClusterError(
      'no-server-user',
      `running as root, and there is no "${name}" user to run the PostgreSQL server as (initdb and ` +
        `postgres refuse to run as root)`,
      `create an unprivileged user: \`useradd --system --user-group --home-dir ` +
        `/var/lib/postgresql ${name}\` (installing the postgresql package does it), or run as a ` +
        `non-root user`,
    );
  }
  if (user.uid === 0) {
    throw new ClusterError(
      'no-server-user',
      `the "${name}" user has uid 0`,
      `give "${name}" an unprivileged uid, or run as a non-root user`,
    );
  }
  return user;
}

/**
 * Checks that `user` can enter every folder above `dir` (initdb fails later with a less clear message
 * otherwise: e.g. TMPDIR pointing into /root).
 */
export async function assertCanReach(dir: string, user: ServerUser): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const info = await stat(current);
    const mode = info.mode;
    const canEnter =
      info.uid === user.uid
        ? (mode & 0o100) !== 0
        : info.gid === user.gid
          ? (mode & 0o010) !== 0
          : (mode & 0o001) !== 0;
    if (!canEnter) {
      throw new ClusterError(
        'unreachable-folder',
        `the "${user.name}" user, which runs the PostgreSQL server, cannot enter ${current}`,
        'create clusters under a folder it can enter: set TMPDIR (or the rootDir option) to one, e.g. /tmp',
      );
    }
    if (dirname(current) === current) return;
  }
}
