/**
 * Every ending says the state of the target and the next command (issue 17, items 8 and 9), through the real
 * executable, headless: a backup stopped by SIGTERM in its dump (what was done, what is left, the `--resume`
 * command, which then finishes the backup); a restore stopped during its live checks (the database is already
 * replaced); "permission denied for table …" at inspection (a what-to-do line: grant, or run as the owner); an
 * application stopped by the run and not started again (named with APP_START_COMMAND).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { runCli } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';
import { privateTmp, tableChecksums } from '../restore/fixture.js';
import { rotatedSource, type RotatedSource } from '../restore/rotated-source.js';
import { gatedPgDump, killGroup, startCli, waitForFile } from './helpers.js';

const cluster = await withCluster();
let source: RotatedSource;
let dir: string;

before(async () => {
  source = await rotatedSource(cluster, { prefix: 'endings', users: 40, auditEvents: 200, dumpAgeMs: 60_000 });
  dir = tempDir('obexal-faults-endings-');
});

const lines = (output: string) => output.split('\n');

describe('a headless interruption says what was done, what is left and how to continue', () => {
  it('a backup stopped by SIGTERM in its dump: the state, the steps, and a --resume command that works', async () => {
    mkdirSync(join(dir, 'bin'));
    const gate = gatedPgDump(join(dir, 'bin'));
    const env = {
      OBEXAL_RUNBOOK_CONFIG_DIR: source.home.env.OBEXAL_RUNBOOK_CONFIG_DIR,
      BACKUP_DIR: join(dir, 'backups'),
      DATABASE_URL: source.db.url,
      BACKUP_RECIPIENTS: source.identity.recipient,
      ENCRYPTION_KEY: source.keyB,
    };
    const run = startCli(['backup', '--yes'], { ...env, PATH: `${gate.binDir}:${process.env.PATH}` });
    await waitForFile(gate.started);
    process.kill(run.child.pid!, 'SIGTERM');
    const code = await run.ended(60_000);
    killGroup(run.child.pid);
    writeFileSync(gate.go, ''); // a gated pg_dump the tool failed to end would go on and fail, not hang
    const output = run.output();
    assert.equal(code, 143, output);
    assert.match(output, /run \S+ INTERRUPTED \(exit 143\)/);
    assert.match(output, /\n\S+ \[backup\]   target: untouched: this runbook does not change it\n/);
    assert.match(output, /stopped at dump: .*partial file is deleted/i);
    assert.match(output, /done: preflight, eras, lock; left: dump, manifest, /);
    const resume = /to continue: (obexal-runbook backup --resume (\S+))/.exec(output);
    assert.ok(resume, output);
    const resumed = await runCli(['backup', '--resume', resume[2]!], env);
    assert.equal(resumed.exitCode, 0, resumed.stdout + resumed.stderr);
  });

  it('a restore stopped during its live checks says the database is already replaced', async () => {
    const restore = startCli(
      ['restore', source.dump.path],
      source.env({ TMPDIR: privateTmp(), AUTH_SERVICE_URL: 'http://127.0.0.1:1' }),
    );
    await restore.waitFor(/> after: /, 240_000);
    process.kill(restore.child.pid!, 'SIGINT');
    const code = await restore.ended(60_000);
    killGroup(restore.child.pid);
    const output = restore.output();
    assert.equal(code, 130, output);
    assert.ok(
      lines(output).some((l) => /  target: CHANGED: "Restore \(swap: [^"]*" finished before the run stopped$/.test(l)),
      output,
    );
    assert.match(output, /left: after\n/);
    assert.match(output, /to continue: obexal-runbook restore --resume \S+/);
  });
});

describe('what to do', () => {
  it('"permission denied for table …" at inspection: grant it or run as the owner; the target untouched', async () => {
    const admin = parseConnectionString(source.db.url);
    const password = 'Limited-endings-4b1e';
    await withClient(admin, async (client) => {
      await client.query(`CREATE ROLE endings_limited LOGIN PASSWORD '${password}'`);
      await client.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO endings_limited');
      await client.query('REVOKE SELECT ON webhooks FROM endings_limited');
    });
    const before = await tableChecksums(source.db.url);
    const url = `postgres://endings_limited:${password}@127.0.0.1:${admin.port}/${admin.database}`;
    const result = await runCli(
      ['restore', source.dump.path],
      source.env({ TMPDIR: privateTmp(), DATABASE_URL: url }),
      { timeoutMs: 240_000 },
    );
    const output = result.stdout + result.stderr;
    assert.equal(result.exitCode, 1, output);
    assert.match(output, /x inspect: FAILED .*permission denied for table webhooks/);
    assert.match(
      output,
      /what to do: the role in DATABASE_URL may not read table webhooks: have its owner run `GRANT SELECT ON webhooks TO <role>`.*or run this runbook as the role that owns the database's tables/,
    );
    assert.match(output, /target: untouched: no step that changes it started/);
    assert.deepEqual(await tableChecksums(source.db.url), before);
  });

  it('an application the run stopped and could not start again is named with the command that starts it', async () => {
    const start = JSON.stringify(['sh', '-c', 'echo the start failed >&2; exit 3']);
    const result = await runCli(
      ['restore', source.dump.path],
      source.env({ TMPDIR: privateTmp(), APP_STOP_COMMAND: JSON.stringify(['true']), APP_START_COMMAND: start }),
      { timeoutMs: 240_000 },
    );
    const output = result.stdout + result.stderr;
    assert.match(output, /APP_STOP_COMMAND done/);
    assert.ok(
      lines(output).some((l) =>
        l.endsWith(
          `  application: STOPPED by this run (APP_STOP_COMMAND) and not started again: start it with APP_START_COMMAND: ${start}`,
        ),
      ),
      output,
    );
  });

  it('after a failed re-encryption, an application the run stopped is named as stopped, with its start command', async () => {
    const start = JSON.stringify(['true']);
    const result = await runCli(
      ['restore', source.dump.path],
      source.env({
        TMPDIR: privateTmp(),
        APP_STOP_COMMAND: JSON.stringify(['true']),
        APP_START_COMMAND: start,
        AUTH_SERVICE_EXEC: JSON.stringify(['false']),
      }),
      { timeoutMs: 240_000 },
    );
    const output = result.stdout + result.stderr;
    assert.equal(result.exitCode, 1, output);
    assert.match(output, /reencrypt-secrets failed/);
    // Whichever order the swap runs in, the ending must agree with what the run did to the application.
    const stopped = /APP_STOP_COMMAND done/.test(output) && !/APP_START_COMMAND done/.test(output);
    assert.equal(
      /application: STOPPED by this run \(APP_STOP_COMMAND\) and not started again: start it with APP_START_COMMAND: \["true"\]/.test(
        output,
      ),
      stopped,
      output,
    );
    assert.ok(stopped || /APP_START_COMMAND done/.test(output) || !/APP_STOP_COMMAND done/.test(output), output);
  });
});
