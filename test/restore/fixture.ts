/**
 * Fixtures for the restore tests: an age identity made by the real `age-keygen`, dumps made the plain way
 * (`pg_dump -Fc`, then the real `age` CLI) with a manifest built by the backup module, the key-era register
 * written directly, a vault command that prints an era's key, and per-table checksums of a database.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildManifest, writeManifestFile } from '../../src/backup/write-manifest.js';
import { compactUtc, dumpFileName, type BackupReason, type Manifest } from '../../src/backup/manifest.js';
import { readSchemaMigration, readSourceInfo } from '../../src/backup/source-info.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import { parseEncryptionKey } from '../../src/keys/secret-value.js';
import { parseConnectionString, childEnvFor } from '../../src/pg/target.js';
import { tableRowCounts } from '../../src/sandbox/seed/row-counts.js';
import { sha256OfFile } from '../../src/s3/hash.js';
import { tempDir } from '../helpers/temp.js';
import { withDatabaseUrl as withPg } from '../helpers/pg.js';

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const AUTH_SERVICE_BIN = join(ROOT, 'bin', 'obexal-sandbox-auth-service');
/** AUTH_SERVICE_EXEC for the sandbox auth-service, as a JSON argument list (no shell). */
export const SANDBOX_AUTH_SERVICE_EXEC = JSON.stringify([process.execPath, AUTH_SERVICE_BIN, '{subcommand}', '{args}']);

export { withPg };

export interface AgeKeyPair {
  identityFile: string;
  identity: string;
  recipient: string;
}

export async function ageKeyPair(dir: string): Promise<AgeKeyPair> {
  const identityFile = join(dir, `identity-${Math.random().toString(36).slice(2)}.txt`);
  await run('age-keygen', ['-o', identityFile]);
  chmodSync(identityFile, 0o600);
  const { stdout } = await run('age-keygen', ['-y', identityFile]);
  const { readFileSync } = await import('node:fs');
  const identity =
    readFileSync(identityFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-')) ?? '';
  return { identityFile, identity, recipient: stdout.trim() };
}

export interface EraRef {
  label: string;
  fingerprint: string;
}

export function eraOf(label: string, keyText: string): EraRef {
  return { label, fingerprint: keyFingerprint(parseEncryptionKey(keyText)) };
}

export interface MadeDump {
  name: string;
  path: string;
  manifestPath: string;
  manifest: Manifest;
}

/** pg_dump -Fc | age -r <recipient>, with a manifest written beside it by the backup module's own code. */
export async function makeDump(options: {
  url: string;
  backupDir: string;
  recipient: string;
  eras: EraRef[];
  reason?: BackupReason;
  at?: Date;
}): Promise<MadeDump> {
  const target = parseConnectionString(options.url);
  const stamp = compactUtc(options.at ?? new Date());
  const name = dumpFileName(stamp, true);
  const path = join(options.backupDir, name);
  const plain = join(options.backupDir, `.plain-${stamp}.dump`);
  const startedAt = new Date().toISOString();
  const info = await withPg(options.url, async (client) => ({
    source: await readSourceInfo(client, target.label),
    rowCounts: await tableRowCounts(client),
    schemaMigration: await readSchemaMigration(client),
  }));
  await run('pg_dump', ['--format=custom', '--compress=4', `--file=${plain}`], { env: childEnvFor(target) });
  await run('age', ['-r', options.recipient, '-o', path, plain]);
  chmodSync(path, 0o600);
  const plainHash = await sha256OfFile(plain);
  const storedHash = await sha256OfFile(path);
  await rm(plain);
  const { stdout } = await run('pg_dump', ['--version']);
  const manifest = buildManifest({
    dump: {
      stamp,
      name,
      path,
      size: storedHash.size,
      sha256: storedHash.sha256,
      plaintextSize: plainHash.size,
      plaintextSha256: plainHash.sha256,
      encryption: 'age',
      recipients: [options.recipient],
      compression: '4',
      startedAt: options.at?.toISOString() ?? startedAt,
      finishedAt: new Date().toISOString(),
    },
    source: info.source,
    pgDump: { path: 'pg_dump', version: stdout.trim(), major: 15 },
    rowCounts: info.rowCounts,
    schemaMigration: info.schemaMigration,
    keyEras: options.eras,
    reason: options.reason ?? 'scheduled',
    pin: null,
    toolVersion: 'test',
    runId: 'test',
  });
  const manifestPath = await writeManifestFile(options.backupDir, stamp, manifest);
  return { name, path, manifestPath, manifest };
}

/** The key-era register (DESIGN §4), written directly as BACKUP_DIR/key-eras.json. */
export function writeRegisterFile(
  backupDir: string,
  eras: { label: string; fingerprint: string; start: string; end: string | null }[],
): void {
  const register = { schema: 'obexal-key-eras@v1', eras: eras.map((e) => ({ ...e, keepKeyUntil: e.end })) };
  writeFileSync(join(backupDir, 'key-eras.json'), `${JSON.stringify(register, null, 2)}\n`, { mode: 0o600 });
}

/** A "vault": one file per era, and the ENCRYPTION_KEY_COMMAND that prints the key of `{era}`. */
export function keyVault(keys: Record<string, string>): { dir: string; command: string } {
  const dir = tempDir('obexal-vault-');
  for (const [label, key] of Object.entries(keys))
    writeFileSync(join(dir, `${label}.key`), `${key}\n`, { mode: 0o600 });
  return { dir, command: JSON.stringify(['cat', `${dir}/{era}.key`]) };
}

/** md5 of every row of every table (ordered by the row's text), by table: equal means unchanged content. */
export async function tableChecksums(url: string): Promise<Record<string, string>> {
  return withPg(url, async (client) => {
    const tables = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`,
    );
    const sums: Record<string, string> = {};
    for (const { name } of tables.rows) {
      const row = await client.query<{ sum: string | null }>(
        `SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) AS sum FROM "${name}" t`,
      );
      sums[name] = row.rows[0]?.sum ?? 'empty';
    }
    return sums;
  });
}

export async function databasesLike(url: string, pattern: string): Promise<string[]> {
  return withPg(url, async (client) =>
    (
      await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [
        pattern,
      ])
    ).rows.map((r) => r.datname),
  );
}

/** A private TMPDIR for one CLI run, to check that nothing is left in it. */
export function privateTmp(): string {
  const dir = tempDir('obexal-restore-tmp-');
  mkdirSync(dir, { recursive: true });
  return dir;
}
