/**
 * The restore in the TUI (the real executable in a pseudo-terminal): with no dump named, the dumps that exist
 * are listed (date, size, reason, era, verified) to choose from; the operator types host:port/database to
 * confirm. A mistyped token is refused, Esc ends the run with exit 3 and nothing changed; the right token
 * restores.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { BIN, ROOT, testHome } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';
import { ageKeyPair, eraOf, makeDump, privateTmp, tableChecksums, withPg, writeRegisterFile } from './fixture.js';

const clusterReady = withCluster();

async function type(pty: PtySession, text: string): Promise<void> {
  for (const key of [text, keys.enter]) {
    const since = pty.mark();
    pty.write(key);
    await pty.waitFor(/[\s\S]/, { since, timeoutMs: 5_000 }).catch(() => undefined);
  }
}

describe('restore in the TUI', () => {
  let db: SandboxDatabase;
  let home: ReturnType<typeof testHome>;
  let env: Record<string, string | undefined>;
  let token: string;

  before(async () => {
    const cluster = await clusterReady;
    db = await sandboxDatabase(cluster, { prefix: 'tui', size: { users: 80, auditEvents: 400 } });
    home = testHome();
    const identity = await ageKeyPair(home.dir);
    const era = eraOf('era-a', db.encryptionKey);
    writeRegisterFile(home.env.BACKUP_DIR!, [{ ...era, start: '2026-01-01T00:00:00.000Z', end: null }]);
    await makeDump({
      url: db.url,
      backupDir: home.env.BACKUP_DIR!,
      recipient: identity.recipient,
      eras: [era],
      at: new Date(Date.now() - 600_000),
    });
    await withPg(db.url, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
    );
    env = {
      ...home.env,
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: db.encryptionKey,
      BACKUP_IDENTITY_FILE: identity.identityFile,
      CONFIRM: undefined,
    };
    const url = new URL(db.url);
    token = `${url.hostname}:${url.port}/${db.database}`;
  });

  it('lists the dumps, refuses a mistyped target, and Esc leaves everything as it was (exit 3)', async () => {
    const checksums = await tableChecksums(db.url);
    await withPty(
      `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} restore`,
      { cwd: ROOT, cols: 200, rows: 50, timeoutMs: 60_000, env },
      async (pty) => {
        await pty.waitFor('Which dump to restore?');
        assert.match(pty.text(), /\d{4}-\d\d-\d\d \d\d:\d\dZ\s+[\d.]+ KiB\s+scheduled\s+era-a\s+verified\s+\(local\)/);
        await type(pty, '');
        await pty.waitFor(`Type  ${token}  to confirm`);
        assert.match(pty.text(), /REPLACE the database/);
        await type(pty, token.replace(/.$/, 'x'));
        await pty.waitFor('does not match');
        pty.write(keys.escape);
        await pty.waitFor('restore refused  exit 3');
        assert.deepEqual(await pty.waitForExit(), { code: 3, signal: null });
      },
    );
    assert.deepEqual(await tableChecksums(db.url), checksums);
  });

  it('Ctrl+C at the confirmation: exit 130, nothing changed, the decrypted dump removed', async () => {
    const checksums = await tableChecksums(db.url);
    const tmp = privateTmp();
    await withPty(
      `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} restore`,
      { cwd: ROOT, cols: 200, rows: 50, timeoutMs: 60_000, env: { ...env, TMPDIR: tmp } },
      async (pty) => {
        await pty.waitFor('Which dump to restore?');
        await type(pty, '');
        await pty.waitFor(`Type  ${token}  to confirm`);
        const privateFiles = readdirSync(tmp)
          .filter((n) => n.startsWith('obexal-run-'))
          .flatMap((d) => readdirSync(join(tmp, d)));
        assert.ok(
          privateFiles.some((n) => n.endsWith('.dump')),
          'the decrypted dump waits in the private folder',
        );
        const since = pty.mark();
        pty.write(keys.ctrlC);
        // The UI asks what now (stop, the default, or run the step again): stop.
        await pty.waitFor(/was interrupted\. What now\?[\s\S]*Stop the run/, { since, timeoutMs: 10_000 });
        pty.write(keys.enter);
        assert.deepEqual(await pty.waitForExit(), { code: 130, signal: null });
      },
    );
    assert.deepEqual(await tableChecksums(db.url), checksums);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
      'the private folder is removed',
    );
  });

  it('restores once the target is typed exactly', async () => {
    await withPty(
      `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} restore`,
      { cwd: ROOT, cols: 200, rows: 50, timeoutMs: 120_000, env },
      async (pty) => {
        await pty.waitFor('Which dump to restore?');
        await type(pty, '');
        await pty.waitFor(`Type  ${token}  to confirm`);
        await type(pty, token);
        await pty.waitFor(/restore finished  exit 0/, { timeoutMs: 120_000 });
        assert.deepEqual(await pty.waitForExit(), { code: 0, signal: null });
      },
    );
    const markers = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE action = 'test.marker'`)).rowCount,
    );
    assert.equal(markers, 0);
  });
});
