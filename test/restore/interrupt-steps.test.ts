/**
 * Ctrl+C at each step of the restore (SIGINT to the real executable, headless, --json): while the vault command
 * for the age identity runs (verify), while the vault command for the older era's key runs (key-era: the
 * decrypted dump is in the private folder then), while inspection waits on a table lock (inspect), while
 * APP_STOP_COMMAND runs after pg_restore and before the swap (stop-app), while reencrypt-secrets runs on the copy
 * (reencrypt-copy), and while the live checks wait for the service (after). Every run exits 130 and leaves no
 * private folder; before the swap the target is unchanged and no extra database is left; after it, the output
 * says what state the database is in. (Ctrl+C during pg_restore itself: interrupt.test.ts; each point followed
 * by --resume: swap-order.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { BIN } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import type { SandboxDatabase } from '../helpers/sandbox-db.js';
import { databasesLike, privateTmp, tableChecksums, withPg, type MadeDump } from './fixture.js';
import { rotatedSource, type RotatedSource } from './rotated-source.js';

const clusterReady = withCluster();

/** A command that marks that it started, then blocks: the step is provably inside it when SIGINT comes. */
function hangingCommand(marker: string): string {
  return JSON.stringify(['sh', '-c', 'touch "$0"; exec sleep 300', marker]);
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Interrupted {
  code: number | null;
  output: string;
  /** Files in the run's private folder at the moment SIGINT was sent. */
  privateFiles: string[];
}

describe('Ctrl+C at each step of the restore', () => {
  let db: SandboxDatabase;
  let dump: MadeDump;
  let checksums: Record<string, string>;
  let source: RotatedSource;

  before(async () => {
    source = await rotatedSource(await clusterReady, {
      prefix: 'ctrl_c',
      users: 200,
      auditEvents: 1500,
      dumpAgeMs: 60_000,
    });
    ({ db, dump } = source);
    checksums = await tableChecksums(db.url);
  });

  /** Runs the restore; once `at` says so (an NDJSON event) and `ready` holds, sends SIGINT. */
  async function interrupt(
    tmp: string,
    extra: Record<string, string | undefined>,
    at: (event: { type: string; stepId?: string }) => boolean,
    ready: () => boolean | Promise<boolean>,
  ): Promise<Interrupted> {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C.UTF-8',
      ...source.env({ TMPDIR: tmp, ...extra }),
    };
    const child = spawn(process.execPath, ['--', BIN, 'restore', dump.path, '--json'], {
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let armed = false;
    let privateFiles: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (const line of chunk.split('\n')) {
        if (armed || !line.startsWith('{')) continue;
        let event: { type: string; stepId?: string };
        try {
          event = JSON.parse(line);
        } catch {
          continue;
        }
        if (!at(event)) continue;
        armed = true;
        void until(ready, 'the step to be inside its blocking call').then(
          () => {
            privateFiles = readdirSync(tmp)
              .filter((n) => n.startsWith('obexal-run-'))
              .flatMap((d) => readdirSync(join(tmp, d)));
            child.kill('SIGINT');
          },
          (error: Error) => {
            output += `\n[test] ${error.message}\n`;
            child.kill('SIGKILL');
          },
        );
      }
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(killer);
    if (process.env.RESTORE_TEST_DEBUG) console.log(output);
    assert.ok(armed, `the run never reached the point to interrupt:\n${output}`);
    assert.equal(code, 130, output);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('obexal-run-')),
      [],
      'the private folder (and the decrypted dump in it) is removed',
    );
    return { code, output, privateFiles };
  }

  async function unchanged(): Promise<void> {
    assert.deepEqual(await tableChecksums(db.url), checksums, 'the target is unchanged');
    assert.deepEqual(await databasesLike(db.url, `${db.database}\\_\\_%`), [], 'no half-restored database is left');
  }

  const stepStarted = (id: string) => (event: { type: string; stepId?: string }) =>
    event.type === 'step-started' && event.stepId === id;

  it('verify: while the vault command for the age identity runs', async () => {
    const tmp = privateTmp();
    const marker = join(tmp, 'identity-command-started');
    await interrupt(
      tmp,
      { BACKUP_IDENTITY_FILE: undefined, BACKUP_IDENTITY_COMMAND: hangingCommand(marker) },
      stepStarted('verify'),
      () => existsSync(marker),
    );
    await unchanged();
  });

  it("key-era: while the vault command for the older era's key runs (the decrypted dump exists then)", async () => {
    const tmp = privateTmp();
    const marker = join(tmp, 'key-command-started');
    const result = await interrupt(
      tmp,
      { ENCRYPTION_KEY_COMMAND: hangingCommand(marker) },
      stepStarted('key-era'),
      () => existsSync(marker),
    );
    assert.ok(
      result.privateFiles.some((n) => n.endsWith('.dump')),
      `the decrypted dump was in the private folder: ${result.privateFiles.join(', ')}`,
    );
    await unchanged();
  });

  it('inspect: while inspection waits on a table lock', async () => {
    const tmp = privateTmp();
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const waiting = () =>
        withPg(
          db.url,
          async (c) =>
            ((await c.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'users'::regclass`)).rowCount ??
              0) > 0,
        );
      await interrupt(tmp, {}, stepStarted('inspect'), waiting);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    await unchanged();
  });

  it('stop-app: while APP_STOP_COMMAND runs, after pg_restore and before the swap', async () => {
    const tmp = privateTmp();
    const marker = join(tmp, 'app-stop-started');
    const result = await interrupt(tmp, { APP_STOP_COMMAND: hangingCommand(marker) }, stepStarted('stop-app'), () =>
      existsSync(marker),
    );
    assert.match(result.output, /pg_restore finished/);
    assert.match(result.output, /stopped before the swap: .* was not replaced/);
    await unchanged();
  });

  // The new swap order (issue 11) re-encrypts the copy before the swap: stopped there, nothing is replaced.
  it('reencrypt-copy: while reencrypt-secrets runs on the copy: the output says the state and how to finish', async () => {
    const tmp = privateTmp();
    const marker = join(tmp, 'reencrypt-started');
    const result = await interrupt(
      tmp,
      { AUTH_SERVICE_EXEC: hangingCommand(marker) },
      stepStarted('reencrypt-copy'),
      () => existsSync(marker),
    );
    assert.match(
      result.output,
      /reencrypt-secrets stopped: the copy \S+ is not fully re-encrypted; it is dropped as the run ends: .* was not replaced/,
    );
    assert.match(result.output, /to finish: .*obexal-runbook restore --resume \S+/);
    const marker2 = await withPg(
      db.url,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE target = 'after-the-dump'`)).rowCount,
    );
    assert.equal(marker2, 1, 'the swap had not happened: the database is the one replaced');
    await unchanged();
  });

  it('after: while the live checks wait for the service', async () => {
    const tmp = privateTmp();
    const result = await interrupt(tmp, { AUTH_SERVICE_URL: 'http://127.0.0.1:1' }, stepStarted('after'), async () => {
      await sleep(300);
      return true;
    });
    assert.match(result.output, /reencrypt-secrets done/);
  });
});
