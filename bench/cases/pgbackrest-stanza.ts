/**
 * The pgBackRest peer's set-up on the bench cluster: two posix repositories in the cluster's private folder (repo1
 * plain, repo2 `aes-256-cbc`), WAL archived to both by `archive-push` (archive_mode needs the restart done here:
 * run this case last), `stanza-create` and `check`. The passphrase is a throwaway one, only in the 0600 file the
 * server's `archive-push` reads; the database password goes to pgBackRest through PGPASSWORD, never an argument.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { addSecret } from '../../src/core/redact.js';
import { withClient } from '../../src/pg/client.js';
import { findProgram } from '../../src/pg/programs.js';
import { serverUserFor } from '../../src/pg/server-user.js';
import { parseConnectionString } from '../../src/pg/target.js';
import type { BenchContext } from '../context.js';
import { assertSucceeded, runMeasured, type MeasuredRun } from '../measure.js';

export const STANZA = 'bench';

export interface Stanza {
  dir: string;
  configFile: string;
  pgCtl: string;
  owner: { uid?: number; gid?: number };
  env: Record<string, string>;
  processMax: number;
}

/** Why the peer cannot be measured here, or undefined when `pgbackrest` runs. */
export function pgBackRestMissing(): string | undefined {
  const probe = spawnSync('pgbackrest', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return 'pgbackrest is not installed (Debian package `pgbackrest`): the peer lines are skipped';
  return undefined;
}

export function pgBackRestVersion(): string {
  return execFileSync('pgbackrest', ['version'], { encoding: 'utf8' }).trim();
}

export function asOwner(stanza: Stanza, file: string, args: string[]): Promise<MeasuredRun> {
  return runMeasured({ file, args, env: stanza.env, cwd: '/', ...stanza.owner });
}

export async function pgbackrest(stanza: Stanza, args: string[]): Promise<MeasuredRun> {
  const run = await asOwner(stanza, 'pgbackrest', [`--config=${stanza.configFile}`, `--stanza=${STANZA}`, ...args]);
  assertSucceeded(run, `pgbackrest ${args.join(' ')}`);
  return run;
}

function folder(path: string, owner: Stanza['owner']): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (owner.uid !== undefined && owner.gid !== undefined) chownSync(path, owner.uid, owner.gid);
  return path;
}

function configText(ctx: BenchContext, dir: string, processMax: number): string {
  const cluster = ctx.dbs.stack.cluster;
  const passphrase = randomBytes(24).toString('base64');
  addSecret(passphrase);
  return [
    '[global]',
    `repo1-path=${join(dir, 'repo1')}`,
    'repo1-retention-full=99',
    `repo2-path=${join(dir, 'repo2')}`,
    'repo2-retention-full=99',
    'repo2-cipher-type=aes-256-cbc',
    `repo2-cipher-pass=${passphrase}`,
    `lock-path=${join(dir, 'lock')}`,
    `log-path=${join(dir, 'log')}`,
    'log-level-file=off',
    'log-level-console=warn',
    'start-fast=y',
    `process-max=${processMax}`,
    '',
    `[${STANZA}]`,
    `pg1-path=${cluster.dataDir}`,
    `pg1-port=${cluster.port}`,
    `pg1-socket-path=${cluster.socketDir}`,
    `pg1-user=${cluster.superuser}`,
    '',
  ].join('\n');
}

/** archive_command reloads; archive_mode needs a restart, done only when it is not on yet. */
async function archiveToStanza(ctx: BenchContext, stanza: Stanza): Promise<void> {
  const cluster = ctx.dbs.stack.cluster;
  const wasOn = await withClient(parseConnectionString(cluster.url('postgres')), async (client) => {
    const { rows } = await client.query<{ archive_mode: string }>('SHOW archive_mode');
    await client.query(`ALTER SYSTEM SET archive_mode = 'on'`);
    await client.query(
      `ALTER SYSTEM SET archive_command = 'pgbackrest --config=${stanza.configFile} --stanza=${STANZA} archive-push %p'`,
    );
    await client.query('SELECT pg_reload_conf()');
    return rows[0]?.archive_mode === 'on';
  });
  if (wasOn) return;
  const restart = await asOwner(stanza, stanza.pgCtl, [
    'restart',
    '-D',
    cluster.dataDir,
    '-l',
    join(cluster.rootDir, 'server.log'),
    '-w',
    '-t',
    '120',
    '-m',
    'fast',
    '-s',
  ]);
  assertSucceeded(restart, 'pg_ctl restart (archive_mode = on)');
}

export async function setUpStanza(ctx: BenchContext): Promise<Stanza> {
  const cluster = ctx.dbs.stack.cluster;
  const user = await serverUserFor();
  const owner = user ? { uid: user.uid, gid: user.gid } : {};
  const dir = folder(join(cluster.rootDir, 'pgbackrest'), owner);
  for (const sub of ['repo1', 'repo2', 'lock', 'log', 'restore']) folder(join(dir, sub), owner);
  const processMax = Math.max(1, Math.min(4, availableParallelism()));
  const configFile = join(dir, 'pgbackrest.conf');
  writeFileSync(configFile, configText(ctx, dir, processMax), { mode: 0o600 });
  if (owner.uid !== undefined && owner.gid !== undefined) chownSync(configFile, owner.uid, owner.gid);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PGPASSWORD: cluster.password,
    HOME: dir,
  };
  const stanza: Stanza = { dir, configFile, pgCtl: await findProgram('pg_ctl'), owner, env, processMax };
  await archiveToStanza(ctx, stanza);
  await pgbackrest(stanza, ['stanza-create']);
  await pgbackrest(stanza, ['check']);
  return stanza;
}
