/**
 * A dump that does not finish: pg_dump killed midway, the tool stopped with SIGTERM, the disk filling up. Each
 * ends with a clear message and a non-zero exit, and leaves no dump, no manifest and no `.partial` behind.
 * The source is a ~70 MB table of random text, so that the dump takes long enough to be caught midway.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { manifestFileName } from '../../src/backup/manifest.js';
import { buildManifest } from '../../src/backup/write-manifest.js';
import { withClient } from '../../src/pg/client.js';
import { createDatabase } from '../../src/pg/databases.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { BIN } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import { ageIdentity, backupFiles, backupHome, type TestIdentity, removeTempDirs, tempDir } from './helpers.js';

const cluster = await withCluster();
let url: string;
let identity: TestIdentity;
let source: { systemIdentifier: string; database: string };
const encryptionKey = 'bXktdGVzdC1rZXktb2YtMzItYnl0ZXMtZXhhY3RseSE=';
const homes: string[] = [];
const outputs: Record<string, string> = {};

before(async () => {
  url = await createDatabase(cluster, `big_${Math.random().toString(36).slice(2, 8)}`);
  await withClient(parseConnectionString(url), async (client) => {
    await client.query(
      `CREATE TABLE blob AS SELECT g AS id,
         (SELECT string_agg(md5(random()::text || g::text || i::text), '') FROM generate_series(1, 32) i) AS body
       FROM generate_series(1, 50000) g`,
    );
    const row = (
      await client.query<{ s: string; d: string }>(
        'SELECT system_identifier::text AS s, current_database() AS d FROM pg_control_system()',
      )
    ).rows[0];
    source = { systemIdentifier: row?.s ?? '', database: row?.d ?? '' };
  });
  identity = ageIdentity(tempDir('obexal-backup-keys-'));
});

after(() => {
  try {
    assert.deepEqual(scanForSecrets(homes, [cluster.password, encryptionKey, identity.secret], outputs), []);
  } finally {
    removeTempDirs();
  }
});

function home(extra: Record<string, string> = {}) {
  const h = backupHome(url, identity.recipient, { ENCRYPTION_KEY: encryptionKey, BACKUP_COMPRESSION: '9', ...extra });
  homes.push(h.dir);
  return h;
}

function start(env: Record<string, string>) {
  return execa(process.execPath, [BIN, 'backup', '--yes'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
    extendEnv: false,
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: 120_000,
  });
}

/** Waits until the run's partial dump holds at least `bytes` (the dump is under way, midway through). */
async function waitForPartial(backupDir: string, bytes: number, child: { exitCode?: number | null }): Promise<string> {
  for (let i = 0; i < 3000; i++) {
    if (child.exitCode !== undefined && child.exitCode !== null) break;
    const partial = backupFiles(backupDir).find((n) => n.endsWith('.partial'));
    if (partial) {
      try {
        if (statSync(join(backupDir, partial)).size >= bytes) return partial;
      } catch {
        // renamed or removed meanwhile
      }
    }
    await sleep(10);
  }
  throw new Error('the dump never got under way');
}

function pgDumpChildOf(pid: number): number {
  const out = execFileSync('pgrep', ['-P', String(pid), '-x', 'pg_dump'])
    .toString()
    .trim();
  const found = Number(out.split('\n')[0]);
  assert.ok(found > 0, 'pg_dump runs as a child of the tool');
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a dump that does not finish', () => {
  it('pg_dump killed midway (SIGKILL): exit 1, a clear message, no file left that looks complete', async () => {
    const h = home();
    const child = start(h.env);
    const partial = await waitForPartial(h.backupDir, 256 * 1024, child.nodeChildProcess);
    process.kill(pgDumpChildOf(child.pid as number), 'SIGKILL');
    const result = await child;
    outputs['killed'] = String(result.all);
    assert.equal(result.exitCode, 1, String(result.all));
    assert.match(
      String(result.stdout),
      /x dump: FAILED .*pg_dump of 127\.0\.0\.1:\d+\/big_\w+ was killed by SIGKILL: the partial file was deleted, no dump of this run exists/,
    );
    assert.deepEqual(backupFiles(h.backupDir), [], `${partial} and no other dump file remains`);
    assert.doesNotMatch(String(result.stdout), /\+ manifest: ok/);
  });

  it('the tool stopped with SIGTERM: exit 143, pg_dump ended, no file left', async () => {
    const h = home();
    const child = start(h.env);
    await waitForPartial(h.backupDir, 256 * 1024, child.nodeChildProcess);
    const pgDump = pgDumpChildOf(child.pid as number);
    const commandLine = readFileSync(`/proc/${pgDump}/cmdline`, 'utf8').split('\0');
    assert.ok(commandLine.includes('--format=custom'), commandLine.join(' '));
    assert.ok(!commandLine.join(' ').includes(cluster.password), "the password is never on pg_dump's command line");
    assert.equal(
      readFileSync(`/proc/${pgDump}/environ`, 'utf8').split('\0').includes(`PGPASSWORD=${cluster.password}`),
      true,
      'it is in its environment',
    );
    child.kill('SIGTERM');
    const result = await child;
    outputs['sigterm'] = String(result.all);
    assert.equal(result.exitCode, 143, String(result.all));
    assert.match(String(result.stdout), /dump: INTERRUPTED/);
    assert.deepEqual(backupFiles(h.backupDir), []);
    for (let i = 0; i < 100 && alive(pgDump); i++) await sleep(20);
    assert.equal(alive(pgDump), false, 'pg_dump was stopped with the tool');
    assert.deepEqual(readdirSync(join(h.configDir, '.locks')), [], 'the lock (in the state folder) was released');
  });

  it('the disk fills up during the dump: exit 1 naming ENOSPC, the partial file deleted', async (t) => {
    const h = home({ RECORDS_DIR: join(tempDir('obexal-records-'), 'records') });
    homes.push(h.env.RECORDS_DIR as string);
    const small = join(h.dir, 'small-disk');
    mkdirSync(small);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN)');
      return;
    }
    try {
      // A previous backup of this source that was tiny: the free-space estimate passes, the real dump does not fit.
      const stamp = '20200101T000000Z';
      const manifest = buildManifest({
        dump: {
          stamp,
          name: `obexal-${stamp}.dump.age`,
          path: '',
          size: 1000,
          sha256: '0'.repeat(64),
          plaintextSize: 900,
          plaintextSha256: '1'.repeat(64),
          encryption: 'age',
          recipients: [identity.recipient],
          compression: '9',
          startedAt: '2020-01-01T00:00:00.000Z',
          finishedAt: '2020-01-01T00:00:01.000Z',
        },
        source: {
          target: 'x',
          database: source.database,
          serverVersion: '15',
          serverVersionNum: 150000,
          serverMajor: 15,
          systemIdentifier: source.systemIdentifier,
          encoding: 'UTF8',
          collate: 'C',
          ctype: 'C',
        },
        pgDump: { path: 'pg_dump', version: 'pg_dump (PostgreSQL) 15', major: 15 },
        rowCounts: {},
        schemaMigration: { version: null, name: null },
        keyEras: [],
        reason: 'scheduled',
        pin: null,
        toolVersion: 'test',
        runId: 'test',
      });
      writeFileSync(join(small, manifestFileName(stamp)), JSON.stringify(manifest), { mode: 0o600 });
      const result = await start({ ...h.env, BACKUP_DIR: small });
      outputs['enospc'] = String(result.all);
      assert.equal(result.exitCode, 1, String(result.all));
      assert.match(
        String(result.stdout),
        /the disk holding BACKUP_DIR \S+ is full \(ENOSPC\) after [\d.]+ (KiB|MiB) of dump: the partial file was deleted, no dump of this run exists/,
      );
      assert.deepEqual(backupFiles(small), [manifestFileName(stamp)], 'only the earlier manifest remains');
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
