/**
 * A restore (pg_restore, the swap, the checks) through libpq routes only: `CONFIRM=yes obexal-runbook restore
 * <dump>` with no DATABASE_URL, the target and its password from PGSERVICE (a pg_service.conf named by
 * PGSERVICEFILE), then from a keyword/value DATABASE_URL with the password in PGPASSFILE. CONFIRM=yes holds since
 * the invocation's own environment named the target. The dump is a plain `pg_dump -Fc` as Obexal's own script
 * makes it (no age, no manifest), as in test/restore/guide-call.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { tempDir } from '../helpers/temp.js';
import { privateTmp, withPg } from '../restore/fixture.js';

const run = promisify(execFile);
const clusterReady = withCluster();

describe('restore with the target and password from libpq routes', () => {
  let db: SandboxDatabase;
  let home: ReturnType<typeof testHome>;
  let port: number;
  let password: string;
  const name = 'obexal-20261124T010203Z.dump';

  before(async () => {
    const cluster = await clusterReady;
    password = cluster.password;
    db = await sandboxDatabase(cluster, { prefix: 'routes_restore', size: { users: 40, auditEvents: 200 } });
    port = parseConnectionString(db.url).port;
    home = testHome('obexal-routes-restore-');
    const path = join(home.env.BACKUP_DIR!, name);
    await run('pg_dump', ['--format=custom', `--file=${path}`], { env: childEnvFor(parseConnectionString(db.url)) });
    chmodSync(path, 0o600);
  });

  function privateFile(fileName: string, text: string): string {
    const file = join(tempDir('obexal-routes-restore-cred-'), fileName);
    writeFileSync(file, text);
    chmodSync(file, 0o600);
    return file;
  }

  async function restore(extra: Record<string, string>): Promise<string> {
    await withPg(db.url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
    );
    const env = { ...home.env, TMPDIR: privateTmp(), CONFIRM: 'yes', ENCRYPTION_KEY: db.encryptionKey, ...extra };
    const result = await runCli(['restore', name], env, { timeoutMs: 180_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 0, output);
    assert.ok(!output.includes(password), 'the password was printed');
    assert.match(output, new RegExp(`127\\.0\\.0\\.1:${port}/${db.database}`), 'the label keeps its shape');
    const marker = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE target = 'after-the-dump'`)).rowCount,
    );
    assert.equal(marker, 0, 'the dump was restored');
    return output;
  }

  it('PGSERVICE and PGSERVICEFILE, no DATABASE_URL', async () => {
    const file = privateFile(
      'pg_service.conf',
      `[obexal]\nhost=127.0.0.1\nport=${port}\ndbname=${db.database}\nuser=obexal\npassword=${password}\n`,
    );
    await restore({ PGSERVICE: 'obexal', PGSERVICEFILE: file });
  });

  it('a keyword/value DATABASE_URL and PGPASSFILE', async () => {
    const file = privateFile('pgpass', `127.0.0.1:${port}:*:obexal:${password}\n`);
    await restore({ DATABASE_URL: `host=127.0.0.1 port=${port} dbname=${db.database} user=obexal`, PGPASSFILE: file });
  });
});
