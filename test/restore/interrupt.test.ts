/**
 * Ctrl+C during pg_restore (SIGINT to the real executable, headless): exit 130, the half-restored database
 * dropped, the target untouched, the private folder with the decrypted dump removed. Success and failure
 * paths of the same guarantee are covered by era-restore and faults.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { BIN, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import {
  ageKeyPair,
  databasesLike,
  eraOf,
  makeDump,
  privateTmp,
  tableChecksums,
  withPg,
  writeRegisterFile,
  type MadeDump,
} from './fixture.js';

const clusterReady = withCluster();

describe('Ctrl+C during the restore', () => {
  let db: SandboxDatabase;
  let home: ReturnType<typeof testHome>;
  let identity: Awaited<ReturnType<typeof ageKeyPair>>;
  let dump: MadeDump;

  before(async () => {
    const cluster = await clusterReady;
    db = await sandboxDatabase(cluster, { prefix: 'interrupt', size: { users: 10_000, auditEvents: 200_000 } });
    home = testHome();
    identity = await ageKeyPair(home.dir);
    const era = eraOf('era-a', db.encryptionKey);
    writeRegisterFile(home.env.BACKUP_DIR!, [{ ...era, start: '2026-01-01T00:00:00.000Z', end: null }]);
    dump = await makeDump({ url: db.url, backupDir: home.env.BACKUP_DIR!, recipient: identity.recipient, eras: [era] });
    await withPg(db.url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('auth.logout', 'after-the-dump')`),
    );
  });

  it('SIGINT while pg_restore runs: exit 130, old database intact, nothing left behind', async () => {
    const checksums = await tableChecksums(db.url);
    const tmp = privateTmp();
    const child = spawn(process.execPath, ['--', BIN, 'restore', dump.path, '--json'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LANG: 'C.UTF-8',
        ...home.env,
        TMPDIR: tmp,
        DATABASE_URL: db.url,
        CONFIRM: 'yes',
        ENCRYPTION_KEY: db.encryptionKey,
        BACKUP_IDENTITY_FILE: identity.identityFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let sent = false;
    let sawPrivateDir = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (const line of chunk.split('\n')) {
        if (
          sent ||
          !line.includes('"step-progress"') ||
          !line.includes('"stepId":"copy"') ||
          !line.includes('pg_restore:')
        )
          continue;
        sawPrivateDir = readdirSync(tmp).some((n) => n.startsWith('obexal-run-'));
        sent = true;
        child.kill('SIGINT');
      }
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.ok(sent, `pg_restore never reported progress:\n${output}`);
    assert.ok(sawPrivateDir, 'the decrypted dump was in a private folder while pg_restore ran');
    assert.equal(code, 130, output);
    assert.match(output, /stopped before the swap/);
    assert.deepEqual(await tableChecksums(db.url), checksums, 'the target is unchanged');
    assert.deepEqual(
      await databasesLike(db.url, `${db.database}\\_\\_%`),
      [],
      'the half-restored database was dropped',
    );
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
      'the private folder is removed',
    );
  });
});
