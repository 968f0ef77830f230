/**
 * Runs pgBackRest's own commands (no shell, no re-implementation): as the operating-system user that owns the
 * cluster's data (it must read and write the data folder), with the repository's secrets only in its environment
 * (`PGBACKREST_REPO1_*`) and the database password only as PGPASSWORD. Its output is read line by line into the
 * journal, redacted.
 */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { StepFailedError } from '../core/errors.js';
import { baseChildEnv, runProcess, type ProcessResult } from '../core/exec.js';
import type { ServerUser } from '../pg/server-user.js';

export const PGBACKREST_PACKAGE_HINT =
  'install pgBackRest: `apt-get install pgbackrest` (Debian, Ubuntu), `dnf install pgbackrest` ' +
  '(PGDG on Red Hat); it must be on PATH';

export async function findPgBackRest(path = process.env.PATH ?? ''): Promise<string> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'pgbackrest');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new StepFailedError(
    'pgBackRest is not installed on this host (no `pgbackrest` on PATH)',
    PGBACKREST_PACKAGE_HINT,
  );
}

/** The secrets pgBackRest needs, handed over in its environment only. */
export interface PgBackRestSecrets {
  cipherPass: string | undefined;
  s3Key: string | undefined;
  s3KeySecret: string | undefined;
  s3Token: string | undefined;
  databasePassword: string | undefined;
}

export interface PgBackRestRunner {
  program: string;
  configFile: string;
  stanza: string;
  user: ServerUser | undefined;
  secrets: PgBackRestSecrets;
  signal: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export function pgBackRestEnv(secrets: PgBackRestSecrets): Record<string, string> {
  const env = baseChildEnv();
  const put = (name: string, value: string | undefined) => {
    if (value) env[name] = value;
  };
  put('PGBACKREST_REPO1_CIPHER_PASS', secrets.cipherPass);
  put('PGBACKREST_REPO1_S3_KEY', secrets.s3Key);
  put('PGBACKREST_REPO1_S3_KEY_SECRET', secrets.s3KeySecret);
  put('PGBACKREST_REPO1_S3_TOKEN', secrets.s3Token);
  put('PGPASSWORD', secrets.databasePassword);
  env.LC_ALL = 'C';
  return env;
}

/** `pgbackrest --config=… --stanza=… <command> <args>`; a non-zero exit is a StepFailedError with its last lines. */
export function runPgBackRest(
  runner: PgBackRestRunner,
  command: string,
  args: string[] = [],
  options: { captureStdout?: boolean; logLevel?: 'info' | 'warn' } = {},
): Promise<ProcessResult> {
  const { captureStdout = false, logLevel = 'info' } = options;
  const logging = [`--log-level-console=${logLevel}`, '--log-level-stderr=error', '--log-level-file=off'];
  return runProcess({
    file: runner.program,
    args: [`--config=${runner.configFile}`, `--stanza=${runner.stanza}`, ...logging, ...args, command],
    env: pgBackRestEnv(runner.secrets),
    cwd: '/',
    signal: runner.signal,
    captureStdout,
    label: `pgbackrest ${command}`,
    ...(runner.onLine ? { onLine: runner.onLine } : {}),
    ...(runner.user ? { uid: runner.user.uid, gid: runner.user.gid } : {}),
  });
}
