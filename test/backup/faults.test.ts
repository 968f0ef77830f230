/**
 * Bad input and faults of the backup, through the real executable: each ends with a clear message, a non-zero
 * exit code and nothing that looks like a finished backup (no dump, no manifest, no `.partial`).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  ageIdentity,
  backupFiles,
  backupHome,
  childPath,
  type TestIdentity,
  removeTempDirs,
  tempDir,
} from './helpers.js';

const cluster = await withCluster();
let db: SandboxDatabase;
let identity: TestIdentity;
const homes: string[] = [];
const outputs: Record<string, string> = {};
const extraSecrets: string[] = [];

before(async () => {
  db = await sandboxDatabase(cluster, { prefix: 'faults' });
  identity = ageIdentity(tempDir('obexal-backup-keys-'));
});

after(() => {
  try {
    assert.deepEqual(
      scanForSecrets(homes, [cluster.password, db.encryptionKey, identity.secret, ...extraSecrets], outputs),
      [],
    );
  } finally {
    removeTempDirs();
  }
});

/** A home with a register already in place (so that only the fault under test can stop the run). */
function home(overrides: Record<string, string | undefined> = {}) {
  const h = backupHome(db.url, identity.recipient, { ENCRYPTION_KEY: db.encryptionKey });
  homes.push(h.dir);
  const env: Record<string, string> = { ...h.env };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return { ...h, env };
}

async function run(
  name: string,
  env: Record<string, string>,
  args: string[] = ['backup', '--yes'],
): Promise<CliResult & { all: string }> {
  const result = await runCli(args, env);
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return { ...result, all: result.stdout + result.stderr };
}

describe('the database', () => {
  it('a wrong password: exit 1, a clear message, and neither password printed', async () => {
    const target = parseConnectionString(db.url);
    const wrong = 'Wr0ng-pass-7c1d9e';
    const h = home({ DATABASE_URL: `postgres://${target.user}:${wrong}@127.0.0.1:${target.port}/${target.database}` });
    const result = await run('wrong password', h.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(result.stdout, /PostgreSQL refused the login of user "obexal" at 127\.0\.0\.1:\d+\/faults_/);
    assert.match(result.stdout, /check the user and password in DATABASE_URL; the password is not shown/);
    assert.doesNotMatch(result.all, new RegExp(wrong));
    assert.ok(!result.all.includes(cluster.password));
    assert.deepEqual(backupFiles(h.backupDir), []);
  });

  it('an unreachable server: exit 1 and what to check', async () => {
    const target = parseConnectionString(db.url);
    const h = home({
      DATABASE_URL: `postgres://${target.user}:${cluster.password}@127.0.0.1:${await freeLoopbackPort()}/${target.database}`,
    });
    const result = await run('unreachable', h.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(result.stdout, /cannot reach PostgreSQL at 127\.0\.0\.1:\d+\//);
    assert.match(result.stdout, /is the server running\?/);
    assert.ok(!result.all.includes(cluster.password));
    assert.deepEqual(backupFiles(h.backupDir), []);
  });

  it('a pg_dump older than the server is refused before anything is written', async () => {
    const h = home();
    const fakeBin = join(h.dir, 'old-bin');
    mkdirSync(fakeBin);
    writeFileSync(
      join(fakeBin, 'pg_dump'),
      '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 9.6.0"; exit 0; fi\necho "would dump" > "$HOME/fake-pg-dump-ran"; exit 0\n',
    );
    chmodSync(join(fakeBin, 'pg_dump'), 0o755);
    const result = await run('old pg_dump', { ...h.env, PATH: `${fakeBin}:${childPath()}`, HOME: h.dir });
    assert.equal(result.exitCode, 1, result.all);
    assert.match(
      result.stdout,
      /old-bin\/pg_dump is PostgreSQL 9 \("pg_dump \(PostgreSQL\) 9\.6\.0"\), older than the server \(PostgreSQL 1\d\): refusing to dump, nothing was written/,
    );
    assert.match(result.stdout, /what to do: .*(put \/usr\/lib\/postgresql\/\d+\/bin first on PATH|install)/);
    assert.deepEqual(backupFiles(h.backupDir), []);
    assert.equal(backupFiles(h.dir).length, 0);
    assert.equal(existsSync(join(h.dir, 'fake-pg-dump-ran')), false, 'the old pg_dump never ran a dump');
  });
});

describe('pg_dump itself fails', () => {
  it("a table the role may not read: exit 1 with pg_dump's own message, no file left", async () => {
    const admin = parseConnectionString(db.url);
    const rolePassword = 'limited-Role-pw-5f2a';
    extraSecrets.push(rolePassword);
    await withClient(admin, async (client) => {
      await client.query(`CREATE ROLE limited LOGIN PASSWORD '${rolePassword}'`);
      await client.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO limited');
      await client.query('REVOKE SELECT ON webhooks FROM limited');
    });
    const h = home({ DATABASE_URL: `postgres://limited:${rolePassword}@127.0.0.1:${admin.port}/${admin.database}` });
    const result = await run('permission denied', h.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(
      result.stdout,
      /x dump: FAILED .*pg_dump of 127\.0\.0\.1:\d+\/faults_\w+ exited with code 1: the partial file was deleted, no dump of this run exists/,
    );
    assert.match(result.stdout, /permission denied for table webhooks/);
    assert.ok(!result.all.includes(rolePassword));
    assert.deepEqual(backupFiles(h.backupDir), []);
  });
});

describe('settings', () => {
  it('no recipient configured: exit 2, naming both settings and the explicit way out', async () => {
    const h = home({ BACKUP_RECIPIENTS: undefined });
    const result = await run('no recipient', h.env);
    assert.equal(result.exitCode, 2, result.all);
    assert.match(result.stdout, /no age recipient is configured/);
    assert.match(result.stdout, /BACKUP_RECIPIENTS=age1\.\.\..*BACKUP_RECIPIENTS_FILE.*BACKUP_ENCRYPTION=none/);
    assert.deepEqual(backupFiles(h.backupDir), []);
  });

  it('an age identity where a recipient belongs is refused without printing it', async () => {
    const h = home({ BACKUP_RECIPIENTS: identity.secret });
    const result = await run('identity as recipient', h.env);
    assert.equal(result.exitCode, 2, result.all);
    assert.match(result.stdout, /BACKUP_RECIPIENTS holds an age identity \(a secret key\), not a recipient/);
    assert.deepEqual(backupFiles(h.backupDir), []);
  });

  for (const bad of ['abc', '0', '-1']) {
    it(`RETENTION_DAYS=${bad}: exit 2 before anything is written`, async () => {
      const h = home({ RETENTION_DAYS: bad });
      const result = await run(`retention ${bad}`, h.env);
      assert.equal(result.exitCode, 2, result.all);
      assert.match(result.stdout, new RegExp(`RETENTION_DAYS "${bad}" is not a positive whole number of days`));
      assert.deepEqual(backupFiles(h.backupDir), []);
    });
  }

  it('BACKUP_DIR under a regular file: exit 1, naming the file in the way', async () => {
    const h = home();
    const file = join(h.dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const result = await run('backup dir', {
      ...h.env,
      BACKUP_DIR: join(file, 'backups'),
      RECORDS_DIR: join(h.dir, 'records'),
    });
    assert.equal(result.exitCode, 1, result.all);
    assert.match(
      result.stdout,
      /BACKUP_DIR \S+\/not-a-folder\/backups is not usable: \S+\/not-a-folder is a file, so the folder cannot be created/,
    );
  });
});
