/**
 * The backup runbook end to end, through the real executable, headless, against a seeded sandbox database on a
 * throwaway cluster: the dump decrypts with the `age` tool and restores with `pg_restore` to the manifest's row
 * counts; the manifest's restore-by-hand commands work as written; the cron line works from environment
 * variables alone with a clean log; nothing the runs leave behind holds a secret.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { sourceLockPath } from '../../src/backup/source-lock.js';
import { suggestEraLabel } from '../../src/eras/register.js';
import { parsePin } from '../../src/backup/config.js';
import { withClient } from '../../src/pg/client.js';
import { createDatabase } from '../../src/pg/databases.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { BASE_SCHEMA_VERSION } from '../../src/sandbox/schema/migrations.js';
import { tableRowCounts } from '../../src/sandbox/seed/row-counts.js';
import { ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  ageIdentity,
  backupFiles,
  firstManifest,
  backupHome,
  childPath,
  modeOf,
  readManifests,
  type TestIdentity,
  removeTempDirs,
  tempDir,
} from './helpers.js';

const cluster = await withCluster();
const outputs: Record<string, string> = {};
const scanned: string[] = [];
let db: SandboxDatabase;
let identity: TestIdentity;
let home: ReturnType<typeof backupHome>;
let first: CliResult;
/** BACKUP_DIR of the run with BACKUP_ENCRYPTION=none. */
let plainBackupDir: string | undefined;

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function keep(name: string, result: CliResult): CliResult {
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return result;
}

async function restoredCounts(dumpFile: string): Promise<Record<string, number>> {
  const url = await createDatabase(cluster, `restored_${Math.random().toString(36).slice(2, 8)}`);
  const target = parseConnectionString(url);
  execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', target.database, dumpFile], {
    env: childEnvFor(target),
  });
  return withClient(target, (client) => tableRowCounts(client));
}

before(async () => {
  db = await sandboxDatabase(cluster, { prefix: 'backup_src' });
  const keys = tempDir('obexal-backup-keys-');
  identity = ageIdentity(keys);
  home = backupHome(db.url, identity.recipient, { ENCRYPTION_KEY: db.encryptionKey });
  scanned.push(home.dir);
  first = keep('first', await runCli(['backup', '--yes'], home.env));
});

after(() => {
  try {
    const findings = scanForSecrets(
      scanned.flatMap((dir) => filesOutsideDumps(dir)),
      [cluster.password, db.encryptionKey, identity.secret, db.drill.password],
      outputs,
    );
    assert.deepEqual(findings, [], 'no secret in any file or output the backups produced');
  } finally {
    removeTempDirs();
  }
});

function filesOutsideDumps(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    const info = statSync(path);
    if (info.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
    else if (!/\.dump(\.zst)?(\.age)?$/.test(path) && !path.endsWith('backup-identity.txt')) out.push(path);
  };
  walk(dir);
  return out;
}

describe('a headless backup of a seeded sandbox database', () => {
  it('succeeds with plain log lines and leaves one dump and its manifest, 0600 in a 0700 folder', () => {
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    // eslint-disable-next-line no-control-regex -- asserts that no escape code is printed
    assert.doesNotMatch(first.stdout, /\x1b/);
    assert.match(first.stdout, /run \S+ OK \(exit 0\)/);
    const files = backupFiles(home.backupDir);
    assert.equal(files.length, 2, files.join(', '));
    assert.match(files[0] as string, /^obexal-\d{8}T\d{6}Z\.dump\.zst\.age$/);
    assert.match(files[1] as string, /^obexal-\d{8}T\d{6}Z\.manifest\.json$/);
    assert.equal(modeOf(home.backupDir), 0o700);
    for (const name of [...files, 'key-eras.json']) assert.equal(modeOf(join(home.backupDir, name)), 0o600, name);
    assert.equal(modeOf(join(home.backupDir, '.locks')), 0o700);
    assert.deepEqual(readdirSync(join(home.backupDir, '.locks')), [], 'the lock is released');
    assert.equal(modeOf(join(home.configDir, '.locks')), 0o700);
    assert.deepEqual(
      readdirSync(join(home.configDir, '.locks')),
      [],
      'the source lock (in the state folder) is released',
    );
  });

  it('writes a manifest whose checksums, sizes, source, era and counts are those of the dump', async () => {
    const manifest = firstManifest(home.backupDir);
    const dumpPath = join(home.backupDir, manifest.dump.name);
    assert.equal(manifest.dump.size, statSync(dumpPath).size);
    assert.equal(manifest.dump.sha256, sha256(dumpPath));
    assert.equal(manifest.dump.encryption, 'age');
    assert.deepEqual(manifest.dump.recipients, [identity.recipient]);
    assert.equal(manifest.dump.compression, 'zstd:1');
    assert.equal(manifest.source.database, db.database);
    assert.equal(manifest.source.target, parseConnectionString(db.url).label);
    const sysid = await withClient(
      parseConnectionString(db.url),
      async (c) =>
        (await c.query<{ s: string }>('SELECT system_identifier::text AS s FROM pg_control_system()')).rows[0]?.s,
    );
    assert.equal(manifest.source.systemIdentifier, sysid);
    assert.equal(manifest.source.serverVersionNum >= 100000, true);
    assert.equal(manifest.source.encoding, 'UTF8');
    assert.match(manifest.pgDump.version, /^pg_dump \(PostgreSQL\) \d+/);
    assert.equal(manifest.schemaMigration.version, String(BASE_SCHEMA_VERSION));
    assert.deepEqual(manifest.rowCounts, db.rowCounts);
    assert.deepEqual(manifest.keyEras, [
      { label: suggestEraLabel(new Date(manifest.startedAt)), fingerprint: db.era.fingerprint },
    ]);
    assert.equal(manifest.reason, 'scheduled');
    assert.equal(manifest.pin, null);
    assert.deepEqual(manifest.verified, { local: true, bucket: false, bucketCheckedAt: null });
    assert.ok(Date.parse(manifest.startedAt) <= Date.parse(manifest.finishedAt));
    assert.match(manifest.runId, /^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    assert.ok(manifest.restoreByHand.some((line) => line.startsWith('age -d -i "$AGE_IDENTITY_FILE"')));
  });

  it("opens with the age and zstd tools and the identity, and pg_restore gives the manifest's row counts", async () => {
    const manifest = firstManifest(home.backupDir);
    const work = tempDir('obexal-restore-');
    const compressed = join(work, 'plain.dump.zst');
    const plain = join(work, 'plain.dump');
    execFileSync('age', ['-d', '-i', identity.file, '-o', compressed, join(home.backupDir, manifest.dump.name)]);
    execFileSync('zstd', ['-d', '-q', '-o', plain, compressed]);
    assert.equal(sha256(plain), manifest.dump.plaintextSha256);
    assert.equal(statSync(plain).size, manifest.dump.plaintextSize);
    assert.deepEqual(await restoredCounts(plain), manifest.rowCounts);
  });

  it("restores with the manifest's restore-by-hand commands, run as written in a plain shell", async () => {
    const manifest = firstManifest(home.backupDir);
    const work = tempDir('obexal-by-hand-');
    copyFileSync(join(home.backupDir, manifest.dump.name), join(work, manifest.dump.name));
    const target = parseConnectionString(cluster.url('postgres'));
    const restoreDb = `by_hand_${Math.random().toString(36).slice(2, 8)}`;
    const script = ['set -e', ...manifest.restoreByHand].join('\n');
    await execa('sh', ['-c', script], {
      cwd: work,
      extendEnv: false,
      env: {
        ...childEnvFor(target),
        PGDATABASE: 'postgres',
        PATH: childPath(),
        AGE_IDENTITY_FILE: identity.file,
        RESTORE_DB: restoreDb,
      },
    });
    assert.deepEqual(readdirSync(work), [manifest.dump.name], 'the plaintext dump is removed after the restore');
    const counts = await withClient(parseConnectionString(cluster.url(restoreDb)), (c) => tableRowCounts(c));
    assert.deepEqual(counts, manifest.rowCounts);
  });

  it('records the dump and the creation of the key-era register in the signed record', () => {
    const records = join(home.backupDir, 'records');
    const file = readdirSync(records).find((n) => n.endsWith('.json'));
    assert.ok(file);
    const record = JSON.parse(readFileSync(join(records, file), 'utf8')) as {
      outcome: string;
      details: Record<string, unknown>;
    };
    assert.equal(record.outcome, 'ok');
    const details = record.details as {
      dump: { name: string };
      keyEraRegister: { created: string; fingerprint: string };
    };
    assert.match(details.dump.name, /\.dump\.zst\.age$/);
    assert.equal(details.keyEraRegister.fingerprint, db.era.fingerprint);
  });
});

describe('the cron line', () => {
  it('works unchanged apart from the command, from environment variables alone, with no key and no escape codes in its log', async () => {
    const log = join(home.dir, 'backup.log');
    const line = `DATABASE_URL='${db.url}' BACKUP_DIR='${home.backupDir}' RETENTION_DAYS=14 obexal-runbook backup >> '${log}' 2>&1`;
    const result = await execa('sh', ['-c', line], {
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      env: {
        PATH: `${join(ROOT, 'bin')}:${childPath()}`,
        HOME: home.dir,
        BACKUP_RECIPIENTS: identity.recipient,
        OBEXAL_RUNBOOK_CONFIG_DIR: home.configDir,
      },
    });
    const text = readFileSync(log, 'utf8');
    outputs['cron log'] = text;
    assert.equal(result.exitCode, 0, text);
    // eslint-disable-next-line no-control-regex -- asserts that no escape code is printed
    assert.doesNotMatch(text, /\x1b/);
    assert.match(text, /\[backup\] run \S+ OK \(exit 0\)/);
    assert.match(text, /S3_BUCKET is not set/);
    const manifests = readManifests(home.backupDir);
    assert.equal(manifests.length, 2);
    assert.deepEqual(
      manifests[1]?.manifest.keyEras,
      manifests[0]?.manifest.keyEras,
      'the era comes from the register: the cron host needs no key',
    );
  });
});

describe('reason and pin', () => {
  it('records --reason pre-migration and --pin 30d (expiry counted from the end of the dump)', async () => {
    const result = keep('pinned', await runCli(['backup', '--reason', 'pre-migration', '--pin', '30d'], home.env));
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const newest = readManifests(home.backupDir).at(-1)?.manifest;
    assert.equal(newest?.reason, 'pre-migration');
    assert.deepEqual(newest?.pin, parsePin('30d', new Date(newest?.finishedAt ?? 0)));
  });

  it('refuses a pin that is not a duration before writing anything (exit 2)', async () => {
    const before = backupFiles(home.backupDir);
    const result = keep('bad pin', await runCli(['backup', '--pin', 'forever'], home.env));
    assert.equal(result.exitCode, 2, result.stdout);
    assert.match(result.stdout, /--pin "forever" is not a duration/);
    assert.deepEqual(backupFiles(home.backupDir), before);
  });
});

describe('first use and options', () => {
  it('headless without a register, ENCRYPTION_KEY or era-label answer: the dump is taken, its era unregistered', async () => {
    const fresh = backupHome(db.url, identity.recipient);
    scanned.push(fresh.dir);
    const result = keep('no register', await runCli(['backup'], fresh.env));
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout + result.stderr,
      /no key-era register yet and no ENCRYPTION_KEY in this environment: the dump is taken anyway/,
    );
    assert.equal(readManifests(fresh.backupDir)[0]?.manifest.keyErasUnregistered, true);
    assert.equal(existsSync(join(fresh.backupDir, 'key-eras.json')), false);
  });

  it('a damaged key-era register does not stop the backup: era unregistered, the register left as it was', async () => {
    const fresh = backupHome(db.url, identity.recipient, { ENCRYPTION_KEY: db.encryptionKey });
    scanned.push(fresh.dir);
    const damaged = '{"schema":"obexal-key-eras@v1","eras":[{"label":"BAD"}]}';
    const { mkdirSync } = await import('node:fs');
    mkdirSync(fresh.backupDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(fresh.backupDir, 'key-eras.json'), damaged, { mode: 0o600 });
    const result = keep('damaged register', await runCli(['backup'], fresh.env));
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const output = result.stdout + result.stderr;
    assert.match(output, /key-eras\.json is not valid at eras\.0.*the dump is taken anyway/);
    assert.match(output, /fix the file by hand/);
    const manifest = readManifests(fresh.backupDir)[0]?.manifest;
    assert.equal(manifest?.keyErasUnregistered, true);
    assert.equal(readFileSync(join(fresh.backupDir, 'key-eras.json'), 'utf8'), damaged);
  });

  it('creates the register headless from ENCRYPTION_KEY and an era-label answer (here with BACKUP_ENCRYPTION=none)', async () => {
    const fresh = backupHome(db.url, identity.recipient, {
      ENCRYPTION_KEY: db.encryptionKey,
      BACKUP_ENCRYPTION: 'none',
    });
    scanned.push(fresh.dir);
    plainBackupDir = fresh.backupDir;
    const answers = join(fresh.dir, 'answers.yaml');
    writeFileSync(answers, 'era-label: era-first\n');
    const result = keep('answers', await runCli(['backup', '--answers', answers], fresh.env));
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const register = JSON.parse(readFileSync(join(fresh.backupDir, 'key-eras.json'), 'utf8')) as {
      eras: { label: string; fingerprint: string; end: null }[];
    };
    assert.deepEqual(
      register.eras.map((e) => [e.label, e.fingerprint, e.end]),
      [['era-first', db.era.fingerprint, null]],
    );
  });

  it('with BACKUP_ENCRYPTION=none writes obexal-<stamp>.dump, which pg_restore reads directly', async () => {
    const backupDir = plainBackupDir;
    assert.ok(backupDir !== undefined, 'the previous test ran with BACKUP_ENCRYPTION=none');
    const manifest = firstManifest(backupDir);
    assert.match(manifest.dump.name, /^obexal-\d{8}T\d{6}Z\.dump$/);
    assert.equal(manifest.dump.encryption, 'none');
    assert.deepEqual(manifest.dump.recipients, []);
    assert.equal(manifest.dump.sha256, manifest.dump.plaintextSha256);
    assert.ok(!manifest.restoreByHand.some((l) => l.startsWith('age ')));
    assert.deepEqual(await restoredCounts(join(backupDir, manifest.dump.name)), manifest.rowCounts);
  });

  it('takes over the stale lock of a dead process', async () => {
    const manifest = firstManifest(home.backupDir);
    const dead = execa('true');
    await dead;
    const lock = sourceLockPath(home.configDir, manifest.source.systemIdentifier, manifest.source.database);
    writeFileSync(
      lock,
      JSON.stringify({
        pid: dead.pid,
        host: hostname(),
        startedAt: new Date(0).toISOString(),
        purpose: 'a backup that was killed',
      }),
      { mode: 0o600 },
    );
    const result = keep('stale lock', await runCli(['backup'], home.env));
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.equal(existsSync(lock), false, 'released at the end');
  });
});
