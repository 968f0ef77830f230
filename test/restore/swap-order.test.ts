/**
 * Issue 11 / issue 17 item 1: in swap mode every check and reencrypt-secrets run on the copy before anything of
 * production changes, and `--resume` after a stop at any point of the sequence (copy → check-copy →
 * reencrypt-copy → stop-app → apply → properties → start-app → after) finishes it. A failure before the swap
 * leaves the target's content unchanged and no `__restore_` copy; an interrupted destructive step is never run
 * again without the `rerun-apply` answer.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { BIN, runCli } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { databasesLike, privateTmp, tableChecksums, withPg } from './fixture.js';
import { rotatedSource, type RotatedSource } from './rotated-source.js';

const clusterReady = withCluster();

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A command that marks that it started, then blocks. */
const hanging = (marker: string) => JSON.stringify(['sh', '-c', 'touch "$0"; exec sleep 300', marker]);
/** A command that appends a word to a log. */
const logging = (log: string, word: string) => JSON.stringify(['sh', '-c', `echo ${word} >> "$0"`, log]);

interface Stopped {
  code: number | null;
  output: string;
  runId: string;
}

describe('swap order: checks and reencrypt on the copy, resume at each point', () => {
  let source: RotatedSource;
  let dbUrl: string;
  let dbName: string;

  before(async () => {
    source = await rotatedSource(await clusterReady, {
      prefix: 'swap_order',
      users: 60,
      auditEvents: 400,
      dumpAgeMs: 60_000,
    });
    dbUrl = source.db.url;
    dbName = source.db.database;
  });

  /** A row written after the dump: a restore that happened removes it. */
  async function markChanged(): Promise<Record<string, string>> {
    await withPg(dbUrl, (c) =>
      c.query(`INSERT INTO audit_log (action, target) VALUES ('test.marker', 'after-the-dump')`),
    );
    return tableChecksums(dbUrl);
  }
  const restored = async () =>
    (await withPg(
      dbUrl,
      async (c) => (await c.query(`SELECT 1 FROM audit_log WHERE target = 'after-the-dump'`)).rowCount,
    )) === 0;
  const noCopy = async () =>
    assert.deepEqual(await databasesLike(dbUrl, `${dbName}\\_\\_restore\\_%`), [], 'no __restore_ copy is left');

  /** Runs the restore headless (--json); once step `stepId` started and `ready` holds, sends `signal`. */
  async function stopAt(
    stepId: string,
    signal: NodeJS.Signals,
    extra: Record<string, string | undefined>,
    ready: () => boolean | Promise<boolean>,
  ): Promise<Stopped> {
    const tmp = privateTmp();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C.UTF-8',
      ...source.env({ TMPDIR: tmp, ...extra }),
    };
    const child = spawn(process.execPath, ['--', BIN, 'restore', source.dump.path, '--json'], {
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let armed = false;
    let runId = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (const line of chunk.split('\n')) {
        if (!line.startsWith('{')) continue;
        let event: { type: string; stepId?: string; runId?: string };
        try {
          event = JSON.parse(line);
        } catch {
          continue;
        }
        if (!runId && event.runId) runId = event.runId;
        if (armed || event.type !== 'step-started' || event.stepId !== stepId) continue;
        armed = true;
        void until(ready, `the step ${stepId} to be inside its blocking call`).then(
          () => child.kill(signal),
          (error: Error) => {
            output += `\n[test] ${error.message}\n`;
            child.kill('SIGKILL');
          },
        );
      }
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(killer);
    if (process.env.RESTORE_TEST_DEBUG) console.log(output);
    assert.ok(armed, `the run never reached ${stepId}:\n${output.slice(-4000)}`);
    assert.ok(runId, 'the run id is in the events');
    return { code, output, runId };
  }

  async function resume(runId: string, extra: Record<string, string | undefined> = {}, answers?: string) {
    const args = ['restore', source.dump.path, '--resume', runId, ...(answers ? ['--answers', answers] : [])];
    const result = await runCli(args, source.env({ TMPDIR: privateTmp(), ...extra }), { timeoutMs: 300_000 });
    return { ...result, output: `${result.stdout}\n${result.stderr}` };
  }

  it('a check failing on the copy leaves the target unchanged and drops the copy', async () => {
    const fingerprint = await markChanged();
    const dir = join(source.home.dir, 'forced-check');
    mkdirSync(dir, { recursive: true });
    const dumpPath = join(dir, source.dump.name);
    copyFileSync(source.dump.path, dumpPath);
    const manifest = JSON.parse(readFileSync(source.dump.manifestPath, 'utf8'));
    manifest.rowCounts.tenants = (manifest.rowCounts.tenants ?? 0) + 1;
    writeFileSync(join(dir, source.dump.manifestPath.split('/').pop()!), JSON.stringify(manifest));
    copyFileSync(join(source.home.env.BACKUP_DIR!, 'key-eras.json'), join(dir, 'key-eras.json'));
    const appLog = join(dir, 'app.log');
    const result = await runCli(
      ['restore', dumpPath],
      source.env({
        BACKUP_DIR: dir,
        TMPDIR: privateTmp(),
        APP_STOP_COMMAND: logging(appLog, 'stop'),
        APP_START_COMMAND: logging(appLog, 'start'),
      }),
      { timeoutMs: 300_000 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 1, output);
    assert.match(output, /does not hold what the manifest counted/);
    assert.match(output, /was not replaced/);
    assert.deepEqual(await tableChecksums(dbUrl), fingerprint, "the target's content is unchanged");
    await noCopy();
    assert.equal(existsSync(appLog), false, 'the application was never stopped');
  });

  it('reencrypt-secrets failing on the copy: production untouched, the copy dropped, the application never stopped', async () => {
    const fingerprint = await markChanged();
    const appLog = join(source.home.dir, 'app-reencrypt-fails.log');
    const result = await runCli(
      ['restore', source.dump.path],
      source.env({
        TMPDIR: privateTmp(),
        AUTH_SERVICE_EXEC: JSON.stringify(['sh', '-c', 'exit 7']),
        APP_STOP_COMMAND: logging(appLog, 'stop'),
        APP_START_COMMAND: logging(appLog, 'start'),
      }),
      { timeoutMs: 300_000 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.exitCode, 1, output);
    assert.match(output, /reencrypt-secrets failed/);
    assert.match(
      output,
      /the copy \S+__restore_\S+ is not fully re-encrypted; it is dropped as the run ends: .* was not replaced/,
    );
    assert.deepEqual(await tableChecksums(dbUrl), fingerprint);
    await noCopy();
    assert.equal(existsSync(appLog), false);
  });

  it('Ctrl+C during reencrypt-secrets on the copy: nothing replaced; --resume restores the copy again and finishes', async () => {
    const fingerprint = await markChanged();
    const marker = join(source.home.dir, 'reencrypt-started');
    const stopped = await stopAt('reencrypt-copy', 'SIGINT', { AUTH_SERVICE_EXEC: hanging(marker) }, () =>
      existsSync(marker),
    );
    assert.equal(stopped.code, 130, stopped.output);
    assert.match(stopped.output, /reencrypt-secrets stopped: the copy .* was not replaced/);
    assert.deepEqual(await tableChecksums(dbUrl), fingerprint);
    await noCopy();
    const done = await resume(stopped.runId);
    assert.equal(done.exitCode, 0, done.output);
    assert.match(
      done.output,
      /copy: .*done in the earlier run, but what it left is gone: it runs again|the copy .* runs again|it runs again/,
    );
    assert.match(done.output, /reencrypt-secrets done/);
    assert.ok(await restored(), 'the restored database is in place');
    await noCopy();
  });

  it('SIGTERM while APP_STOP_COMMAND runs: the application is started again; --resume finishes', async () => {
    const fingerprint = await markChanged();
    const marker = join(source.home.dir, 'stop-started');
    const appLog = join(source.home.dir, 'app-stop.log');
    const stopped = await stopAt(
      'stop-app',
      'SIGTERM',
      { APP_STOP_COMMAND: hanging(marker), APP_START_COMMAND: logging(appLog, 'start') },
      () => existsSync(marker),
    );
    assert.equal(stopped.code, 143, stopped.output);
    assert.match(stopped.output, /the application was started again/);
    assert.match(stopped.output, /stopped before the swap: .* was not replaced/);
    assert.equal(readFileSync(appLog, 'utf8'), 'start\n');
    assert.deepEqual(await tableChecksums(dbUrl), fingerprint);
    await noCopy();
    const done = await resume(stopped.runId, {
      APP_STOP_COMMAND: logging(appLog, 'stop'),
      APP_START_COMMAND: logging(appLog, 'start'),
    });
    assert.equal(done.exitCode, 0, done.output);
    assert.equal(readFileSync(appLog, 'utf8'), 'start\nstop\nstart\n');
    assert.ok(await restored());
    await noCopy();
  });

  it('Ctrl+C during the swap: resume refuses without rerun-apply (target unchanged), finishes with it', async () => {
    const fingerprint = await markChanged();
    // An open transaction that changed the database's row: the swap's rename waits on it.
    const blocker = new pg.Client({ connectionString: dbUrl.replace(`/${dbName}`, '/postgres') });
    await blocker.connect();
    let stopped: Stopped;
    try {
      await blocker.query('BEGIN');
      await blocker.query(`ALTER DATABASE "${dbName}" CONNECTION LIMIT 500`);
      const waiting = () =>
        withPg(
          dbUrl.replace(`/${dbName}`, '/postgres'),
          async (c) =>
            ((
              await c.query(
                `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'ALTER DATABASE%RENAME TO%'`,
              )
            ).rowCount ?? 0) > 0,
        );
      stopped = await stopAt('apply', 'SIGINT', {}, waiting);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    assert.equal(stopped.code, 130, stopped.output);
    assert.match(stopped.output, /stopped before the swap: .* was not replaced/);
    assert.deepEqual(await tableChecksums(dbUrl), fingerprint);
    await noCopy();
    const refused = await resume(stopped.runId);
    assert.equal(refused.exitCode, 3, refused.output);
    assert.match(refused.output, /was running when the run stopped/);
    assert.match(refused.output, /rerun-apply: no \| yes/);
    assert.deepEqual(await tableChecksums(dbUrl), fingerprint, 'not re-run without the answer');
    await noCopy();
    const answers = join(source.home.dir, 'rerun-apply.yaml');
    writeFileSync(answers, 'rerun-apply: "yes"\n');
    const done = await resume(stopped.runId, {}, answers);
    assert.equal(done.exitCode, 0, done.output);
    assert.ok(await restored());
    await noCopy();
  });

  it('SIGKILL during the swap: the resumed run goes on from the copy the earlier one made', async () => {
    await markChanged();
    const blocker = new pg.Client({ connectionString: dbUrl.replace(`/${dbName}`, '/postgres') });
    await blocker.connect();
    let stopped: Stopped;
    try {
      await blocker.query('BEGIN');
      await blocker.query(`ALTER DATABASE "${dbName}" CONNECTION LIMIT 500`);
      const waiting = () =>
        withPg(
          dbUrl.replace(`/${dbName}`, '/postgres'),
          async (c) =>
            ((
              await c.query(
                `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'ALTER DATABASE%RENAME TO%'`,
              )
            ).rowCount ?? 0) > 0,
        );
      stopped = await stopAt('apply', 'SIGKILL', {}, waiting);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    assert.equal(stopped.code, null);
    assert.equal((await databasesLike(dbUrl, `${dbName}\\_\\_restore\\_%`)).length, 1, 'the copy outlives a SIGKILL');
    const answers = join(source.home.dir, 'rerun-apply-kill.yaml');
    writeFileSync(answers, 'rerun-apply: "yes"\n');
    const done = await resume(stopped.runId, {}, answers);
    assert.equal(done.exitCode, 0, done.output);
    assert.match(done.output, /the copy \S+ restored by the earlier run is still there: the run goes on from it/);
    assert.doesNotMatch(done.output, /pg_restore finished/, 'the copy is not restored again');
    assert.ok(await restored());
    await noCopy();
  });

  it('SIGTERM while APP_START_COMMAND runs (after the swap): the state and the command are named; --resume finishes', async () => {
    await markChanged();
    const marker = join(source.home.dir, 'start-started');
    const appLog = join(source.home.dir, 'app-start.log');
    const stopped = await stopAt(
      'start-app',
      'SIGTERM',
      { APP_STOP_COMMAND: logging(appLog, 'stop'), APP_START_COMMAND: hanging(marker) },
      () => existsSync(marker),
    );
    assert.equal(stopped.code, 143, stopped.output);
    assert.ok(await restored(), 'the swap was done');
    assert.match(
      stopped.output,
      /the application is stopped \(.* is the restored database\): start it with APP_START_COMMAND \(.*\), or finish with: obexal-runbook restore --resume \S+/,
    );
    const done = await resume(stopped.runId, {
      APP_STOP_COMMAND: logging(appLog, 'stop'),
      APP_START_COMMAND: logging(appLog, 'start'),
    });
    assert.equal(done.exitCode, 0, done.output);
    assert.equal(readFileSync(appLog, 'utf8'), 'stop\nstart\n', 'started once by the resumed run, not stopped again');
    await noCopy();
  });

  it('Ctrl+C during the live checks: --resume runs them again and finishes', async () => {
    await markChanged();
    const stopped = await stopAt('after', 'SIGINT', { AUTH_SERVICE_URL: 'http://127.0.0.1:1' }, async () => {
      await sleep(300);
      return true;
    });
    assert.equal(stopped.code, 130, stopped.output);
    assert.ok(await restored());
    const done = await resume(stopped.runId, { AUTH_SERVICE_URL: undefined });
    assert.equal(done.exitCode, 0, done.output);
    assert.match(done.output, /apply: ok .*done in the earlier run/);
    await noCopy();
  });
});
