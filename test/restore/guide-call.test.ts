/**
 * Obexal's guide's own call, as its documentation writes it: `CONFIRM=yes DATABASE_URL=... <restore command>
 * <dump>`, with a dump made by Obexal's own backup script (plain `pg_dump -Fc`, named obexal-<time>.dump, no
 * age, no manifest, no key-era register), named by its bare name in BACKUP_DIR. No identity is needed; the
 * archive is read in full since no manifest vouches for it; the keys are the current ones.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { runCli, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { databasesLike, privateTmp, tableChecksums, withPg } from './fixture.js';

const run = promisify(execFile);
const clusterReady = withCluster();

describe("the guide's call with a dump of Obexal's own backup script", () => {
  let db: SandboxDatabase;
  let home: ReturnType<typeof testHome>;
  const name = 'obexal-20261124T010203Z.dump';

  before(async () => {
    const cluster = await clusterReady;
    db = await sandboxDatabase(cluster, { prefix: 'guide', size: { users: 100, auditEvents: 600 } });
    home = testHome();
    const path = join(home.env.BACKUP_DIR!, name);
    await run('pg_dump', ['--format=custom', `--file=${path}`], { env: childEnvFor(parseConnectionString(db.url)) });
    chmodSync(path, 0o600);
    await withPg(db.url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
    );
  });

  function env(tmp: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      ...home.env,
      TMPDIR: tmp,
      DATABASE_URL: db.url,
      CONFIRM: 'yes',
      ENCRYPTION_KEY: db.encryptionKey,
      ...extra,
    };
  }

  it('without CONFIRM=yes: exit 3 and nothing changed', async () => {
    const checksums = await tableChecksums(db.url);
    const tmp = privateTmp();
    const result = await runCli(['restore', name], env(tmp, { CONFIRM: undefined }), { timeoutMs: 120_000 });
    assert.equal(result.exitCode, 3, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /without CONFIRM=yes/);
    assert.deepEqual(await tableChecksums(db.url), checksums);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
    );
  });

  it('CONFIRM=yes DATABASE_URL=... obexal-runbook restore obexal-<time>.dump restores it', async () => {
    const tmp = privateTmp();
    const result = await runCli(['restore', name], env(tmp), { timeoutMs: 180_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    if (process.env.RESTORE_TEST_DEBUG) console.log(output);
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /is not encrypted .*no identity needed/);
    assert.match(output, /no manifest for this dump/);
    assert.match(output, /rows now: tenants \d+, users \d+/, "the inspection shows the target's row counts");
    assert.match(output, /checked: the whole archive read by pg_restore/);
    assert.match(output, /all \d+ encrypted values open under the current key: nothing to re-encrypt/);
    const marker = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE target = 'after-the-dump'`)).rowCount,
    );
    assert.equal(marker, 0, 'the dump was restored');
    assert.equal((await databasesLike(db.url, `${db.database}\\_\\_before\\_%`)).length, 1);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
    );
  });
});
