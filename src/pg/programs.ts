/**
 * Finds the PostgreSQL programs (initdb, pg_ctl, postgres, pg_dump, pg_restore, psql) on PATH and in the usual
 * install folders, newest major first. Debian installs the server programs outside PATH
 * (/usr/lib/postgresql/<major>/bin) and puts a version-picking wrapper (pg_wrapper) on PATH for the clients;
 * a real binary is preferred to the wrapper of the same major, since the wrapper's choice depends on local
 * clusters and ~/.postgresqlrc. Lookups are cached for the life of the process (a failed one is not).
 */
import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../core/errors.js';

const execFileAsync = promisify(execFile);

export type PgProgram = 'initdb' | 'pg_ctl' | 'postgres' | 'pg_dump' | 'pg_restore' | 'psql' | (string & {});

export interface FindProgramOptions {
  /** Only this major version (server programs of one cluster must share a major). */
  major?: number;
  /** Only this major or newer (pg_dump must be at least as new as the server it dumps). */
  minMajor?: number;
  /** The PATH to search (default: ours). For tests. */
  pathEnv?: string;
  /** The install folders to search instead of the usual ones. For tests. */
  installFolders?: string[];
}

interface Candidate {
  path: string;
  major: number;
  fromPath: boolean;
  wrapper: boolean;
  order: number;
}

const SERVER_PROGRAMS = new Set(['initdb', 'pg_ctl', 'postgres']);
const lookups = new Map<string, Promise<string>>();
const majors = new Map<string, Promise<number>>();

/** Parses `pg_dump (PostgreSQL) 15.18 (Debian …)` → 15; for 9.6 and older, 9. */
export function parseVersionMajor(versionOutput: string): number | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(versionOutput) ?? /PostgreSQL\)?\s+(\d+)/.exec(versionOutput);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The major version of a PostgreSQL program, from its `--version` output (cached by path). */
export function programMajor(path: string): Promise<number> {
  let pending = majors.get(path);
  if (!pending) {
    pending = (async () => {
      const { stdout } = await execFileAsync(path, ['--version'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
        timeout: 10_000,
      });
      const major = parseVersionMajor(stdout);
      if (major === undefined)
        throw new UsageError(
          `${path} --version did not print a PostgreSQL version`,
          'check that this program is a PostgreSQL program',
        );
      return major;
    })();
    pending.catch(() => majors.delete(path));
    majors.set(path, pending);
  }
  return pending;
}

/** The usual install folders that exist on this machine, newest major first where the folder names one. */
export async function usualInstallFolders(): Promise<string[]> {
  const found: { dir: string; major: number }[] = [];
  const scan = async (parent: string, pattern: RegExp, bin: (entry: string) => string) => {
    let entries: string[];
    try {
      entries = await readdir(parent);
    } catch {
      return;
    }
    for (const entry of entries) {
      const match = pattern.exec(entry);
      if (match?.[1] !== undefined) found.push({ dir: bin(entry), major: Number(match[1]) });
    }
  };
  await scan('/usr/lib/postgresql', /^(\d+)$/, (e) => `/usr/lib/postgresql/${e}/bin`);
  await scan('/usr', /^pgsql-(\d+)$/, (e) => `/usr/${e}/bin`);
  await scan('/opt/homebrew/opt', /^postgresql@(\d+)$/, (e) => `/opt/homebrew/opt/${e}/bin`);
  await scan('/usr/local/opt', /^postgresql@(\d+)$/, (e) => `/usr/local/opt/${e}/bin`);
  found.sort((a, b) => b.major - a.major);
  const folders = found.map((f) => f.dir);
  for (const plain of ['/usr/local/pgsql/bin', '/opt/homebrew/opt/postgresql/bin', '/usr/local/opt/postgresql/bin'])
    folders.push(plain);
  return folders;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The major a folder name gives away (/usr/lib/postgresql/15/bin, /usr/pgsql-15/bin, …postgresql@15/bin). */
function majorFromPath(path: string): number | undefined {
  const match = /\/postgresql\/(\d+)\/bin\/|\/pgsql-(\d+)\/bin\/|\/postgresql@(\d+)\//.exec(path);
  const text = match?.[1] ?? match?.[2] ?? match?.[3];
  return text === undefined ? undefined : Number(text);
}

/**
 * The candidates for a program. Debian's pg_wrapper (a Perl script: about 40 ms to ask its `--version`) is asked
 * only with `probeWrappers`: it can only run a program of /usr/lib/postgresql/<major>/bin, which the usual install
 * folders hold as a real binary that pick() prefers to the wrapper of the same major.
 */
async function candidatesFor(name: string, options: FindProgramOptions, probeWrappers: boolean): Promise<Candidate[]> {
  const pathDirs = (options.pathEnv ?? process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const folders = options.installFolders ?? (await usualInstallFolders());
  const places = [
    ...pathDirs.map((dir) => ({ dir, fromPath: true })),
    ...folders.map((dir) => ({ dir, fromPath: false })),
  ];
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const [order, place] of places.entries()) {
    const path = join(place.dir, name);
    if (!(await isExecutableFile(path))) continue;
    const real = await realpath(path).catch(() => path);
    if (seen.has(real) && !real.endsWith('/pg_wrapper')) continue;
    seen.add(real);
    const wrapper = real.endsWith('/pg_wrapper');
    if (wrapper && !probeWrappers) continue;
    let major = wrapper ? undefined : majorFromPath(real);
    if (major === undefined) major = await programMajor(path).catch(() => undefined);
    if (major === undefined) continue;
    candidates.push({ path, major, fromPath: place.fromPath, wrapper, order });
  }
  return candidates;
}

function pick(candidates: Candidate[], options: FindProgramOptions): Candidate | undefined {
  return candidates
    .filter(
      (c) =>
        (options.major === undefined || c.major === options.major) &&
        (options.minMajor === undefined || c.major >= options.minMajor),
    )
    .sort((a, b) => b.major - a.major || Number(a.wrapper) - Number(b.wrapper) || a.order - b.order)[0];
}

/** What to install on this system, as a hint. */
export function installHint(name: string): string {
  const server = SERVER_PROGRAMS.has(name);
  const what = server
    ? 'the PostgreSQL server programs (initdb, pg_ctl, postgres)'
    : 'the PostgreSQL client programs (pg_dump, pg_restore, psql)';
  let how: string;
  if (process.platform === 'darwin') how = 'brew install postgresql@15 (or newer)';
  else if (existsSync('/etc/debian_version'))
    how = server ? 'apt-get install postgresql' : 'apt-get install postgresql-client';
  else if (existsSync('/etc/redhat-release') || existsSync('/etc/fedora-release'))
    how = server ? 'dnf install postgresql-server' : 'dnf install postgresql';
  else if (existsSync('/etc/alpine-release')) how = server ? 'apk add postgresql' : 'apk add postgresql-client';
  else how = "your system's PostgreSQL package";
  return `install ${what}: ${how}; or put the folder that holds ${name} on PATH`;
}

/**
 * The path of a PostgreSQL program: on PATH or in the usual install folders, newest major first, optionally of
 * one major (`major`) or not older than one (`minMajor`). Throws a `UsageError` saying what to install.
 */
export function findProgram(name: PgProgram, options: FindProgramOptions = {}): Promise<string> {
  const key = JSON.stringify([name, options.major, options.minMajor, options.pathEnv, options.installFolders]);
  let pending = lookups.get(key);
  if (!pending) {
    pending = (async () => {
      const real = pick(await candidatesFor(name, options, false), options);
      if (real) return real.path;
      const candidates = await candidatesFor(name, options, true);
      const chosen = pick(candidates, options);
      if (chosen) return chosen.path;
      const wanted =
        options.major !== undefined
          ? ` ${options.major}`
          : options.minMajor !== undefined
            ? ` ${options.minMajor} or newer`
            : '';
      const others = [...new Set(candidates.map((c) => c.major))].sort((a, b) => b - a);
      const seen = others.length > 0 ? ` (found only major ${others.join(', ')})` : '';
      throw new UsageError(
        `PostgreSQL program ${name}${wanted} not found on PATH or in the usual install folders${seen}`,
        installHint(name),
      );
    })();
    pending.catch(() => lookups.delete(key));
    lookups.set(key, pending);
  }
  return pending;
}

/** Forgets every lookup (tests that change what is installed). */
export function clearProgramCache(): void {
  lookups.clear();
  majors.clear();
}
