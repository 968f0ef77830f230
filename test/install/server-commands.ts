/**
 * The three commands an operator runs first on a server, against a throwaway cluster, from a folder outside the
 * repository and with an environment that names nothing of it: `--help`, `status` and a headless backup.
 * Shared by the tarball and bundle tests; `command` is the installed executable and the arguments before ours.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Cluster } from '../../src/pg/cluster.js';
import { sandboxDatabase } from '../helpers/sandbox-db.js';
import { tempDir } from '../helpers/temp.js';

export interface Installed {
  /** The program and its leading arguments, e.g. [`<prefix>/bin/obexal-runbook`]. */
  command: string[];
  /** A folder outside the repository to run from. */
  cwd: string;
  /** Folders put first on PATH (the installed bin folder). */
  path?: string[];
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** PATH for the installed tool: its own folders, this Node (first, as on a server with Node 24), the system's. */
function serverPath(extra: string[]): string {
  return [...extra, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
}

export async function runInstalled(installed: Installed, args: string[], env: Record<string, string>): Promise<Run> {
  const [file, ...lead] = installed.command as [string, ...string[]];
  const result = await execa(file, [...lead, ...args], {
    cwd: installed.cwd,
    env: { PATH: serverPath(installed.path ?? []), LANG: 'C.UTF-8', ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 180_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export async function checkServerCommands(installed: Installed, cluster: Cluster): Promise<void> {
  const home = tempDir('obexal-install-home-');
  const backupDir = join(home, 'backups');
  mkdirSync(backupDir, { mode: 0o700 });
  const identity = join(home, 'identity.txt');
  execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', identity]).toString().trim();
  const db = await sandboxDatabase(cluster, { prefix: 'install_src' });
  const env = {
    HOME: home,
    OBEXAL_RUNBOOK_CONFIG_DIR: join(home, 'config'),
    BACKUP_DIR: backupDir,
    DATABASE_URL: db.url,
    BACKUP_RECIPIENTS: recipient,
    ENCRYPTION_KEY: db.encryptionKey,
  };

  const help = await runInstalled(installed, ['--help'], env);
  assert.equal(help.exitCode, 0, help.stderr);
  assert.match(help.stdout, /^usage:/m);

  const before = await runInstalled(installed, ['status'], env);
  assert.equal(before.exitCode, 2, `no backup yet: status is CRITICAL (exit 2)\n${before.stdout}${before.stderr}`);
  assert.match(before.stdout, /backup local: no verified backup/);

  const backup = await runInstalled(installed, ['backup', '--yes'], env);
  assert.equal(backup.exitCode, 0, `${backup.stdout}\n${backup.stderr}`);
  // The tool's own warnings go to stderr too (so cron mails them); nothing else may: no warning from Node or a package.
  const foreign = backup.stderr
    .split('\n')
    .filter((line) => line !== '' && !/^\S+Z \[backup\] {3}warning: /.test(line));
  assert.deepEqual(foreign, [], "a clean log: nothing on stderr but the tool's own warnings");
  const dumps = readdirSync(backupDir).filter((name) => name.endsWith('.dump.zst.age'));
  assert.equal(dumps.length, 1, readdirSync(backupDir).join(' '));
  const listed = execFileSync('sh', [
    '-c',
    `age -d -i "$1" "$2" | zstd -d | pg_restore --list`,
    'sh',
    identity,
    join(backupDir, dumps[0] as string),
  ]).toString();
  assert.match(
    listed,
    /TABLE DATA public users/,
    'the dump decrypts with age, decompresses with zstd and lists with pg_restore',
  );

  const after = await runInstalled(installed, ['status'], env);
  assert.match(after.stdout, /backup local: /, after.stdout);
  assert.doesNotMatch(after.stdout, /backup local: .*MISSING/, `status sees the backup just made\n${after.stdout}`);
}
