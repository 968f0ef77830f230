/** Shared pieces of the backup tests: an age identity made by age-keygen, the environment of a run, listings. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ManifestSchema, type Manifest } from '../../src/backup/manifest.js';
import { testHome } from '../helpers/cli.js';

export interface TestIdentity {
  file: string;
  recipient: string;
  /** The AGE-SECRET-KEY-1... line (to scan outputs for). */
  secret: string;
}

export function ageIdentity(dir: string, name = 'backup-identity.txt'): TestIdentity {
  const file = join(dir, name);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', file]).toString().trim();
  const secret =
    readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-')) ?? '';
  return { file, recipient, secret };
}

/** A private home (config dir, BACKUP_DIR) and the environment of a headless backup from the current sources. */
export function backupHome(databaseUrl: string, recipient: string, extra: Record<string, string> = {}) {
  const home = testHome('obexal-backup-test-');
  trackTempDir(home.dir);
  const env: Record<string, string> = {
    ...home.env,
    DATABASE_URL: databaseUrl,
    RETENTION_DAYS: '14',
    BACKUP_RECIPIENTS: recipient,
    ...extra,
  };
  return {
    dir: home.dir,
    backupDir: home.env.BACKUP_DIR as string,
    configDir: home.env.OBEXAL_RUNBOOK_CONFIG_DIR as string,
    env,
  };
}

/** Names in BACKUP_DIR that look like a dump or manifest, finished or partial. */
export function backupFiles(backupDir: string): string[] {
  try {
    return readdirSync(backupDir)
      .filter((n) => n.startsWith('obexal-'))
      .sort();
  } catch {
    return [];
  }
}

export function readManifests(backupDir: string): { name: string; manifest: Manifest }[] {
  return backupFiles(backupDir)
    .filter((n) => n.endsWith('.manifest.json'))
    .map((name) => ({ name, manifest: ManifestSchema.parse(JSON.parse(readFileSync(join(backupDir, name), 'utf8'))) }));
}

export function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** PATH for a child: where this node lives, then the system's. */
export function childPath(): string {
  return `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
}

/** The oldest manifest in BACKUP_DIR (throws when there is none). */
export function firstManifest(backupDir: string): Manifest {
  const found = readManifests(backupDir)[0];
  if (!found) throw new Error(`no manifest in ${backupDir}`);
  return found.manifest;
}

const made: string[] = [];

/** A temporary folder removed by `removeTempDirs()` (call it in `after`, once the secret scan is done). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function trackTempDir(dir: string): string {
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
