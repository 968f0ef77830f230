/**
 * Every fault leaves the target's content unchanged (per-table checksums), leaves no half-restored database and
 * no private folder behind, and ends with a clear message and a non-zero exit code: a missing, truncated or
 * tampered dump, a wrong or missing identity, a key that is not the era's, no or a wrong confirmation, an
 * unreachable target, a target server older than the dump's, and pg_restore failing midway in swap mode.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { runCli, testHome, type CliResult } from '../helpers/cli.js';
import { freshDatabase, withCluster } from '../helpers/pg.js';
import type { SandboxDatabase } from '../helpers/sandbox-db.js';
import { ageKeyPair, databasesLike, keyVault, privateTmp, tableChecksums, withPg, type MadeDump } from './fixture.js';
import { rotatedSource, type RotatedSource } from './rotated-source.js';

const run = promisify(execFile);
const clusterReady = withCluster();

describe('restore faults leave the target unchanged', () => {
  let db: SandboxDatabase;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let dump: MadeDump;
  let checksums: Record<string, string>;
  let faults: string;
  let source: RotatedSource;

  before(async () => {
    // A row written after the dump: a restore would remove it, so an unchanged checksum proves nothing was restored.
    source = await rotatedSource(await clusterReady, {
      prefix: 'faults',
      users: 200,
      auditEvents: 1500,
      dumpAgeMs: 120_000,
    });
    ({ db, home, identity, dump } = source);
    checksums = await tableChecksums(db.url);
    faults = join(home.dir, 'faults');
    mkdirSync(faults);
  });

  const baseEnv = (extra: Record<string, string | undefined> = {}) => source.env(extra);

  async function restoreFails(
    args: string[],
    extra: Record<string, string | undefined>,
    expected: { exitCode: number; message: RegExp | ((tmp: string) => RegExp) },
  ): Promise<CliResult> {
    const tmp = privateTmp();
    const result = await runCli(['restore', ...args], { ...baseEnv(extra), TMPDIR: tmp }, { timeoutMs: 180_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    if (process.env.RESTORE_TEST_DEBUG) console.log(output);
    assert.equal(result.exitCode, expected.exitCode, output);
    assert.match(output, typeof expected.message === 'function' ? expected.message(tmp) : expected.message);
    assert.match(output, /what to do:/, 'the failure says what to do next');
    assert.deepEqual(await tableChecksums(db.url), checksums, 'the target content is unchanged');
    assert.deepEqual(
      await databasesLike(db.url, `${db.database}\\_\\_%`),
      [],
      'no half-restored or renamed database is left',
    );
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
      'the private folder is removed',
    );
    return result;
  }

  /** A copy of the dump (and its manifest when `withManifest`) under a fresh folder, to damage. */
  function copyOfDump(label: string, withManifest: boolean): string {
    const dir = join(faults, label);
    mkdirSync(dir);
    const path = join(dir, dump.name);
    copyFileSync(dump.path, path);
    if (withManifest) copyFileSync(dump.manifestPath, join(dir, dump.manifestPath.split('/').pop()!));
    return path;
  }

  it('a missing dump', async () => {
    await restoreFails([join(faults, 'obexal-20200101T000000Z.dump.age')], {}, { exitCode: 1, message: /not found/ });
  });

  it('a truncated dump with its manifest', async () => {
    const path = copyOfDump('truncated', true);
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    await restoreFails(
      [path],
      { BACKUP_DIR: join(faults, 'truncated') },
      { exitCode: 1, message: /is \d+ bytes, its manifest records \d+: the file is truncated/ },
    );
  });

  it('a truncated dump without a manifest', async () => {
    const path = copyOfDump('truncated-alone', false);
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    await restoreFails(
      [path],
      { BACKUP_DIR: join(faults, 'truncated-alone') },
      { exitCode: 1, message: /age file is truncated|fails authentication/ },
    );
  });

  it('a tampered byte, without a manifest (age authentication catches it)', async () => {
    const path = copyOfDump('tampered', false);
    const bytes = readFileSync(path);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);
    await restoreFails(
      [path],
      { BACKUP_DIR: join(faults, 'tampered') },
      { exitCode: 1, message: /fails authentication/ },
    );
  });

  it('a dump that is not the one its manifest describes (SHA-256)', async () => {
    const dir = join(faults, 'other-sha');
    const path = copyOfDump('other-sha', false);
    const manifest = JSON.parse(readFileSync(dump.manifestPath, 'utf8'));
    manifest.dump.plaintextSha256 = 'f'.repeat(64);
    writeFileSync(join(dir, dump.manifestPath.split('/').pop()!), JSON.stringify(manifest));
    await restoreFails(
      [path],
      { BACKUP_DIR: dir },
      {
        exitCode: 1,
        message:
          /does not match its manifest: the SHA-256 of the archive inside is [0-9a-f]{64}, the manifest says f{64}/,
      },
    );
  });

  it('not enough room in TMPDIR for the decrypted dump: refused before decrypting, naming the folder', async () => {
    const dir = join(faults, 'no-room');
    const path = copyOfDump('no-room', false);
    const manifest = JSON.parse(readFileSync(dump.manifestPath, 'utf8'));
    manifest.dump.plaintextSize = 2 ** 50;
    writeFileSync(join(dir, dump.manifestPath.split('/').pop()!), JSON.stringify(manifest));
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const result = await restoreFails(
      [path],
      { BACKUP_DIR: dir },
      {
        exitCode: 1,
        message: (tmp) =>
          new RegExp(
            `not enough room for the decrypted dump in ${escaped(tmp)}/obexal-run-[^:]+: about [\\d.]+ TiB needed`,
          ),
      },
    );
    assert.match(result.stdout, /point TMPDIR at a folder on a disk with room/);
    assert.doesNotMatch(result.stdout, /decrypted [\d.]+ \w+ in/, 'nothing was decrypted');
  });

  it('a wrong identity', async () => {
    const other = await ageKeyPair(faults);
    await restoreFails(
      [dump.path],
      { BACKUP_IDENTITY_FILE: other.identityFile },
      { exitCode: 1, message: /the dump was encrypted to age1/ },
    );
  });

  it('a missing identity (headless: exit 3)', async () => {
    await restoreFails(
      [dump.path],
      { BACKUP_IDENTITY_FILE: undefined },
      { exitCode: 3, message: /no age identity was given/ },
    );
  });

  it("a key whose fingerprint is not the era's and that decrypts nothing", async () => {
    const wrong = keyVault({ 'era-a': generateEncryptionKey() });
    await restoreFails(
      [dump.path],
      { ENCRYPTION_KEY_COMMAND: wrong.command },
      {
        exitCode: 1,
        message: /rejected: its fingerprint [0-9a-f]+ is not era-a's .* opens none of the \d+ encrypted values/,
      },
    );
  });

  it("an ENCRYPTION_KEY that is an ended era's key, not the current one", async () => {
    await restoreFails(
      [dump.path],
      { ENCRYPTION_KEY: db.encryptionKey },
      {
        exitCode: 1,
        message: /ENCRYPTION_KEY is the key of era "era-a".* which has ended; the current era is "era-b"/,
      },
    );
  });

  it('no key for the older era (headless: exit 3)', async () => {
    await restoreFails(
      [dump.path],
      { ENCRYPTION_KEY_COMMAND: undefined },
      { exitCode: 3, message: /ENCRYPTION_KEY of era "era-a".* is needed/ },
    );
  });

  it('no CONFIRM=yes (headless: exit 3, nothing changed)', async () => {
    await restoreFails([dump.path], { CONFIRM: undefined }, { exitCode: 3, message: /without CONFIRM=yes/ });
  });

  it('a mistyped CONFIRM (headless: exit 3, nothing changed)', async () => {
    await restoreFails(
      [dump.path],
      { CONFIRM: 'YES' },
      { exitCode: 3, message: /refusing to change .* without CONFIRM=yes/ },
    );
  });

  it('a target from the configuration file: CONFIRM=yes alone, then a CONFIRM_TARGET that does not match (exit 3)', async () => {
    const configDir = join(faults, 'config-target');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ DATABASE_URL: db.url }), { mode: 0o600 });
    const fromConfig = { OBEXAL_RUNBOOK_CONFIG_DIR: configDir, DATABASE_URL: undefined };
    await restoreFails([dump.path], fromConfig, { exitCode: 3, message: /comes from the configuration file/ });
    await restoreFails(
      [dump.path],
      { ...fromConfig, CONFIRM_TARGET: '127.0.0.1:5432/other' },
      { exitCode: 3, message: /CONFIRM_TARGET=127.0.0.1:5432\/other does not match/ },
    );
  });

  it('an unreachable target', async () => {
    const url = new URL(db.url);
    url.port = '1';
    await restoreFails(
      [dump.path],
      { DATABASE_URL: url.toString() },
      { exitCode: 1, message: /cannot reach PostgreSQL/ },
    );
  });

  it("a target server older than the dump's source", async () => {
    const dir = join(faults, 'newer-source');
    const path = copyOfDump('newer-source', false);
    const manifest = JSON.parse(readFileSync(dump.manifestPath, 'utf8'));
    manifest.source.serverVersionNum = 990000;
    manifest.source.serverVersion = '99.0';
    writeFileSync(join(dir, dump.manifestPath.split('/').pop()!), JSON.stringify(manifest));
    await restoreFails([path], { BACKUP_DIR: dir }, { exitCode: 1, message: /older than the dump's source/ });
  });

  it("a target server older than the dump's source, without a manifest (from the archive's own header)", async () => {
    const dir = join(faults, 'newer-archive');
    mkdirSync(dir);
    const plain = join(dir, 'plain.dump');
    await run('pg_dump', ['--format=custom', `--file=${plain}`], { env: childEnvFor(parseConnectionString(db.url)) });
    // The header holds the source server's version string first, then pg_dump's: say the source was PostgreSQL 99.
    const version = await withPg(
      db.url,
      async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v,
    );
    const bytes = readFileSync(plain);
    const at = bytes.indexOf(Buffer.from(version, 'utf8'));
    assert.ok(at > 0 && version.startsWith('15'), version);
    bytes.write('99', at, 'latin1');
    writeFileSync(plain, bytes);
    const encrypted = join(dir, 'obexal-20200101T000000Z.dump.age');
    await run('age', ['-r', identity.recipient, '-o', encrypted, plain]);
    await restoreFails(
      [encrypted],
      { BACKUP_DIR: dir },
      { exitCode: 1, message: /runs PostgreSQL 15\.\d+.*older than the dump's source \(99\./ },
    );
  });

  it('pg_restore failing midway in swap mode (an owner role missing on the target server)', async () => {
    const cluster = await clusterReady;
    const otherUrl = await freshDatabase(cluster, 'ghost_src');
    const other = parseConnectionString(otherUrl);
    await withPg(otherUrl, async (c) => {
      await c.query('CREATE ROLE ghost');
      await c.query('CREATE TABLE tenants (id int PRIMARY KEY, name text)');
      await c.query(`INSERT INTO tenants SELECT g, 'tenant ' || g FROM generate_series(1, 500) g`);
      await c.query('CREATE TABLE owned_by_ghost (id int)');
      await c.query('ALTER TABLE owned_by_ghost OWNER TO ghost');
    });
    const dir = join(faults, 'ghost');
    mkdirSync(dir);
    const plain = join(dir, 'ghost.dump');
    await run('pg_dump', ['--format=custom', `--file=${plain}`], { env: childEnvFor(other) });
    await withPg(otherUrl, async (c) => {
      await c.query('DROP TABLE owned_by_ghost');
      await c.query('DROP ROLE ghost');
    });
    const encrypted = join(dir, 'obexal-20200101T000000Z.dump.age');
    await run('age', ['-r', identity.recipient, '-o', encrypted, plain]);
    const result = await restoreFails(
      [encrypted],
      { BACKUP_DIR: dir },
      { exitCode: 1, message: /pg_restore failed[\s\S]*role "ghost" does not exist[\s\S]*was not replaced/ },
    );
    assert.match(result.stdout, /the half-restored .*__restore_.* was dropped/);
  });
});
