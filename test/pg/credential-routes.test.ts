/**
 * libpq's credential routes through the real executable and the documented cron line (`obexal-runbook backup`,
 * headless, no --yes) on a fresh installation: nothing but BACKUP_RECIPIENTS and the bucket configured, the
 * password in PGPASSWORD, in PGPASSFILE, in ~/.pgpass (HOME a temporary folder), through PGSERVICE (a
 * pg_service.conf named by PGSERVICEFILE), with a keyword/value DATABASE_URL, and with PGHOST & co. alone. The test
 * cluster asks every connection for a scram-sha-256 password, so a route that reaches `pg` but not `pg_dump` fails.
 *
 * The key-era register: a first run (ENCRYPTION_KEY, --yes) puts it in the bucket, as a deployed installation has
 * it; each fresh installation then takes its era from the bucket. What a fresh bucket without a register does is
 * the `secrets` branch's, not asserted here.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { ageIdentity, backupFiles, backupHome, removeTempDirs, tempDir, type TestIdentity } from '../backup/helpers.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { scanForSecrets } from '../helpers/secret-scan.js';

const cluster = await withCluster();
let s3: StartedS3rver;
let db: SandboxDatabase;
let identity: TestIdentity;
let port: number;
const homes: string[] = [];
const outputs: Record<string, string> = {};
const wrongPasswords: string[] = [];
const NO_PASSWORD_ROLE = 'backup_nopass';

before(async () => {
  s3 = await startS3rver();
  db = await sandboxDatabase(cluster, { prefix: 'routes' });
  identity = ageIdentity(tempDir('obexal-routes-keys-'));
  port = parseConnectionString(db.url).port;
  await withClient(parseConnectionString(db.url), async (client) => {
    await client.query(`CREATE ROLE ${NO_PASSWORD_ROLE} LOGIN`);
  });
  const setup = backupHome(db.url, identity.recipient, { ...s3.env, ENCRYPTION_KEY: db.encryptionKey });
  homes.push(setup.dir);
  const first = await run('setup', setup.env, ['backup', '--yes']);
  assert.equal(first.exitCode, 0, first.stdout + first.stderr);
});

after(async () => {
  await s3?.stop();
  try {
    assert.deepEqual(
      scanForSecrets(homes, [cluster.password, db.encryptionKey, identity.secret, ...wrongPasswords], outputs),
      [],
    );
  } finally {
    removeTempDirs();
  }
});

async function run(
  name: string,
  env: Record<string, string | undefined>,
  args = ['backup'],
): Promise<CliResult & { all: string }> {
  const result = await runCli(args, env);
  outputs[`${name} stdout`] = result.stdout;
  outputs[`${name} stderr`] = result.stderr;
  return { ...result, all: result.stdout + result.stderr };
}

/** A fresh installation: its own config folder and BACKUP_DIR, the recipients and the bucket, no DATABASE_URL. */
function freshInstallation(extra: Record<string, string>): ReturnType<typeof backupHome> {
  const home = backupHome('', identity.recipient, s3.env);
  delete home.env.DATABASE_URL;
  Object.assign(home.env, extra);
  homes.push(home.dir);
  return home;
}

/** A folder outside the scanned homes for files that hold the password on purpose. */
function credentialsDir(): string {
  return tempDir('obexal-routes-credentials-');
}

function writePrivate(path: string, text: string, mode = 0o600): string {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}

const urlWithoutPassword = () => `postgres://obexal@127.0.0.1:${port}/${db.database}`;

function assertEncryptedDump(backupDir: string, all: string): void {
  const dumps = backupFiles(backupDir).filter((name) => name.endsWith('.dump.zst.age'));
  assert.equal(dumps.length, 1, all);
  assert.equal(readFileSync(join(backupDir, dumps[0]!)).subarray(0, 21).toString(), 'age-encryption.org/v1');
  assert.ok(!backupFiles(backupDir).some((name) => name.endsWith('.partial')));
}

function assertLabel(all: string): void {
  assert.match(
    all,
    new RegExp(`127\\.0\\.0\\.1:${port}/${db.database}`),
    'the target label keeps its host:port/database shape',
  );
}

describe('the cron line with each libpq password route', () => {
  it('PGPASSWORD beside a URL without a password: exit 0 and an encrypted dump', async () => {
    const home = freshInstallation({ DATABASE_URL: urlWithoutPassword(), PGPASSWORD: cluster.password });
    const result = await run('PGPASSWORD', home.env);
    assert.equal(result.exitCode, 0, result.all);
    assertEncryptedDump(home.backupDir, result.all);
    assertLabel(result.all);
  });

  it('PGPASSFILE: exit 0 and an encrypted dump', async () => {
    const file = writePrivate(
      join(credentialsDir(), 'pgpass'),
      `# ops\n127.0.0.1:${port}:${db.database}:obexal:${cluster.password}\n`,
    );
    const home = freshInstallation({ DATABASE_URL: urlWithoutPassword(), PGPASSFILE: file });
    const result = await run('PGPASSFILE', home.env);
    assert.equal(result.exitCode, 0, result.all);
    assertEncryptedDump(home.backupDir, result.all);
  });

  it('~/.pgpass (HOME a temporary folder), wildcards included: exit 0 and an encrypted dump', async () => {
    const userHome = credentialsDir();
    writePrivate(join(userHome, '.pgpass'), `127.0.0.1:${port}:*:obexal:${cluster.password}\n`);
    const home = freshInstallation({ DATABASE_URL: urlWithoutPassword(), HOME: userHome });
    const result = await run('~/.pgpass', home.env);
    assert.equal(result.exitCode, 0, result.all);
    assertEncryptedDump(home.backupDir, result.all);
  });

  it('PGSERVICE with PGSERVICEFILE and no DATABASE_URL: exit 0 and an encrypted dump', async () => {
    const file = writePrivate(
      join(credentialsDir(), 'pg_service.conf'),
      `[other]\nhost=192.0.2.1\n\n[obexal]\nhost=127.0.0.1\nport=${port}\ndbname=${db.database}\nuser=obexal\npassword=${cluster.password}\n`,
    );
    const home = freshInstallation({ PGSERVICE: 'obexal', PGSERVICEFILE: file });
    const result = await run('PGSERVICE', home.env);
    assert.equal(result.exitCode, 0, result.all);
    assertEncryptedDump(home.backupDir, result.all);
    assertLabel(result.all);
  });

  it('a keyword/value DATABASE_URL with PGPASSWORD: exit 0 and an encrypted dump', async () => {
    const home = freshInstallation({
      DATABASE_URL: `host=127.0.0.1 port=${port} dbname='${db.database}' user=obexal`,
      PGPASSWORD: cluster.password,
    });
    const result = await run('keyword string', home.env);
    assert.equal(result.exitCode, 0, result.all);
    assertEncryptedDump(home.backupDir, result.all);
    assertLabel(result.all);
  });

  it('PGHOST, PGPORT, PGUSER and PGDATABASE alone (no DATABASE_URL): exit 0 and an encrypted dump', async () => {
    const home = freshInstallation({
      PGHOST: '127.0.0.1',
      PGPORT: String(port),
      PGUSER: 'obexal',
      PGDATABASE: db.database,
      PGPASSWORD: cluster.password,
    });
    const result = await run('PGHOST', home.env);
    assert.equal(result.exitCode, 0, result.all);
    assert.doesNotMatch(result.all, /DATABASE_URL is not set/);
    assertEncryptedDump(home.backupDir, result.all);
    assertLabel(result.all);
  });
});

describe('bad credentials: a clear message naming the route, exit 1, no dump, no password printed', () => {
  const wrong = () => {
    const password = `Wr0ng-${Math.random().toString(36).slice(2, 10)}`;
    wrongPasswords.push(password);
    return password;
  };

  it('a wrong PGPASSWORD', async () => {
    const home = freshInstallation({ DATABASE_URL: urlWithoutPassword(), PGPASSWORD: wrong() });
    const result = await run('wrong PGPASSWORD', home.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(result.all, /PostgreSQL refused the login of user "obexal"/);
    assert.match(result.all, /check the password of role "obexal" in PGPASSWORD; the password is not shown/);
    assert.deepEqual(backupFiles(home.backupDir), []);
  });

  it('a wrong password in PGPASSFILE', async () => {
    const file = writePrivate(join(credentialsDir(), 'pgpass'), `*:*:*:*:${wrong()}\n`);
    const home = freshInstallation({ DATABASE_URL: urlWithoutPassword(), PGPASSFILE: file });
    const result = await run('wrong PGPASSFILE', home.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(
      result.all,
      new RegExp(`in the password file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; the password is not shown`),
    );
    assert.deepEqual(backupFiles(home.backupDir), []);
  });

  it('a wrong password in ~/.pgpass', async () => {
    const userHome = credentialsDir();
    writePrivate(join(userHome, '.pgpass'), `127.0.0.1:${port}:*:obexal:${wrong()}\n`);
    const home = freshInstallation({ DATABASE_URL: urlWithoutPassword(), HOME: userHome });
    const result = await run('wrong ~/.pgpass', home.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.ok(
      result.all.includes(`in the password file ${join(userHome, '.pgpass')}; the password is not shown`),
      result.all,
    );
    assert.deepEqual(backupFiles(home.backupDir), []);
  });

  it('a wrong password in the service', async () => {
    const file = writePrivate(
      join(credentialsDir(), 'pg_service.conf'),
      `[obexal]\nhost=127.0.0.1\nport=${port}\ndbname=${db.database}\nuser=obexal\npassword=${wrong()}\n`,
    );
    const home = freshInstallation({ PGSERVICE: 'obexal', PGSERVICEFILE: file });
    const result = await run('wrong service password', home.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(result.all, /check the password of role "obexal" in service "obexal" in /);
    assert.deepEqual(backupFiles(home.backupDir), []);
  });

  it('a password file that others may read is ignored, and the message says so', async () => {
    const file = writePrivate(join(credentialsDir(), 'pgpass'), `*:*:*:*:${cluster.password}\n`, 0o644);
    const home = freshInstallation({ DATABASE_URL: urlWithoutPassword(), PGPASSFILE: file });
    const result = await run('readable PGPASSFILE', home.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(result.all, /the server asks for a password and none was found/);
    assert.match(result.all, /group or others may read it: chmod 600/);
  });

  it('a role with no password at all', async () => {
    const home = freshInstallation({ DATABASE_URL: `postgres://${NO_PASSWORD_ROLE}@127.0.0.1:${port}/${db.database}` });
    const result = await run('no password', home.env);
    assert.equal(result.exitCode, 1, result.all);
    assert.match(result.all, new RegExp(`PostgreSQL refused the login of user "${NO_PASSWORD_ROLE}"`));
    assert.match(result.all, /none was found.*ALTER ROLE \.\.\. PASSWORD/s);
    assert.deepEqual(backupFiles(home.backupDir), []);
  });

  it('a service that does not exist: a usage error (exit 2) naming the files searched', async () => {
    const file = writePrivate(join(credentialsDir(), 'pg_service.conf'), `[obexal]\nhost=127.0.0.1\n`);
    const home = freshInstallation({ PGSERVICE: 'obexa1', PGSERVICEFILE: file });
    const result = await run('unknown service', home.env);
    assert.equal(result.exitCode, 2, result.all);
    assert.match(result.all, /the PostgreSQL service "obexa1" is not defined in /);
    assert.match(result.all, /add a \[obexa1\] section/);
    assert.deepEqual(backupFiles(home.backupDir), []);
  });
});
