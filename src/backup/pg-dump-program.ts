/**
 * Which `pg_dump` runs a backup, and the refusal when it is older than the server (the GitLab 2017 outage began
 * with silently failing dumps from a mismatched pg_dump). The program is the first `pg_dump` on PATH, the one
 * an operator gets by typing `pg_dump` and the one the manifest's restore-by-hand commands assume; only when
 * PATH has none are the usual install folders searched (newest major first).
 */
import { constants, existsSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { runProcess } from '../core/exec.js';
import { StepFailedError } from '../core/errors.js';
import { findProgram, parseVersionMajor } from '../pg/programs.js';

export interface PgDumpProgram {
  path: string;
  /** First line of `pg_dump --version`, e.g. `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
  version: string;
  major: number;
}

async function firstOnPath(name: string, pathEnv: string): Promise<string | undefined> {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `<path> --version` in the environment the dump will have (Debian's wrapper picks by it). */
export async function pgDumpVersion(
  path: string,
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<PgDumpProgram> {
  const result = await runProcess({
    file: path,
    args: ['--version'],
    env,
    signal,
    captureStdout: true,
    label: `${path} --version`,
  });
  const version = result.stdout.split('\n')[0]?.trim() ?? '';
  const major = parseVersionMajor(version);
  if (major === undefined)
    throw new StepFailedError(
      `${path} --version printed no PostgreSQL version ("${version.slice(0, 80)}")`,
      "check that this program is PostgreSQL's pg_dump",
    );
  return { path, version, major };
}

export function clientPackageHint(major: number): string {
  if (existsSync('/etc/debian_version'))
    return `apt-get install postgresql-client-${major} (from apt.postgresql.org when the distribution lacks it)`;
  if (existsSync('/etc/redhat-release') || existsSync('/etc/fedora-release')) return `dnf install postgresql${major}`;
  if (existsSync('/etc/alpine-release')) return `apk add postgresql${major}-client`;
  if (process.platform === 'darwin') return `brew install postgresql@${major}`;
  return `the PostgreSQL ${major} client programs of your system`;
}

/**
 * `pg_dump --version` of the first pg_dump on PATH (null when PATH has none): it does not depend on the server,
 * so the preflight runs it while the database answers and hands it to resolvePgDump.
 */
export async function probePgDump(env: Record<string, string>, signal?: AbortSignal): Promise<PgDumpProgram | null> {
  const onPath = await firstOnPath('pg_dump', env.PATH ?? '');
  return onPath ? pgDumpVersion(onPath, env, signal) : null;
}

/** The preflight check failed: the pg_dump that would run is older than the server. */
export class PgDumpTooOldError extends StepFailedError {}

/**
 * The pg_dump to use against a server of `serverMajor`: refused (before anything is written) when older.
 * `env` is the child environment of the dump (its PATH decides which pg_dump runs).
 */
export async function resolvePgDump(
  serverMajor: number,
  env: Record<string, string>,
  signal?: AbortSignal,
  probed?: PgDumpProgram | null,
): Promise<PgDumpProgram> {
  const pathEnv = env.PATH ?? '';
  let program: PgDumpProgram;
  const onPath = probed === undefined ? await probePgDump(env, signal) : probed;
  if (onPath) {
    program = onPath;
  } else {
    let found: string;
    try {
      found = await findProgram('pg_dump', { minMajor: serverMajor, pathEnv });
    } catch {
      throw new StepFailedError(
        `pg_dump ${serverMajor} or newer was not found on PATH or in the usual install folders`,
        `install the PostgreSQL ${serverMajor} client programs: ${clientPackageHint(serverMajor)}`,
      );
    }
    program = await pgDumpVersion(found, env, signal);
  }
  if (program.major < serverMajor) {
    const elsewhere = await findProgram('pg_dump', { minMajor: serverMajor, pathEnv }).catch(() => undefined);
    const hint = elsewhere
      ? `a suitable pg_dump is installed at ${elsewhere}: put ${dirname(elsewhere)} first on PATH (or ` +
        `install the client programs: ${clientPackageHint(serverMajor)})`
      : `install the PostgreSQL ${serverMajor} client programs (${clientPackageHint(serverMajor)}), ` +
        `then check that \`pg_dump --version\` prints ${serverMajor} or newer`;
    throw new PgDumpTooOldError(
      `${program.path} is PostgreSQL ${program.major} ("${program.version}"), older than the server ` +
        `(PostgreSQL ${serverMajor}): refusing to dump, nothing was written`,
      hint,
    );
  }
  return program;
}
