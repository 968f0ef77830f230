/**
 * The drill runbook end to end, headless, against the practice sandbox: the real CLI, a real backup replicated
 * to s3rver, the real sandbox auth-service started by the drill, real HTTP checks, records verified by
 * `ssh-keygen -Y verify`. Every test also proves that nothing of the drill remains.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openS3, closeS3 } from '../../src/s3/client.js';
import { listObjects } from '../../src/s3/objects.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { loadDrillHistory } from '../../src/drill/history-load.js';
import { dropDatabase } from '../../src/pg/databases.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  CHECKLIST_ANSWERS,
  drill,
  drillDatabases,
  leftovers,
  NOTHING_LEFT,
  readRecord,
  recordPathOf,
  runIdOf,
  startDrillSandbox,
  stepOf,
  verifyWithSshKeygen,
  writeAnswers,
  type DrillSandbox,
} from './fixture.js';

describe('drill (headless, practice sandbox)', { timeout: 600_000 }, () => {
  let sandbox: DrillSandbox;
  before(async () => {
    sandbox = await startDrillSandbox();
  });
  after(async () => {
    await sandbox?.stop();
  });

  it('passes: the newest bucket dump restored, the four checks passed, the RTO recorded and signed, nothing left', async () => {
    const result = await drill(sandbox);
    assert.equal(result.exitCode, 0, result.stdout.slice(-4000) + result.stderr);
    const runId = runIdOf(result.stdout);
    const recordPath = recordPathOf(result.stdout);
    const record = readRecord(recordPath);
    assert.equal(record.outcome, 'ok');
    assert.equal(record.runbook, 'drill');

    const verdict = await verifyWithSshKeygen(sandbox, recordPath);
    assert.equal(verdict.status, 0, verdict.output);
    assert.match(verdict.output, /Good "obexal-runbook-record@v1" signature/);

    const details = record.details.drill;
    assert.ok(details, 'details.drill');
    assert.deepEqual(Object.keys(details.checks).sort(), ['jwks', 'login', 'me', 'mfa']);
    for (const [name, check] of Object.entries(details.checks))
      assert.equal(check.passed, true, `${name}: ${check.reason}`);
    assert.deepEqual(details.failedChecks, []);
    assert.equal(typeof details.rto.ms, 'number');
    assert.ok((details.rto.ms as number) > 0);
    assert.equal(details.rto.target, '30m');
    assert.equal(details.rto.met, true);
    // The RTO ends when the last check passed, and starts at the drill's start (preflight).
    assert.equal(
      Date.parse(details.rto.lastCheckPassedAt as string) - Date.parse(details.rto.startedAt),
      details.rto.ms,
    );
    assert.equal(details.rto.startedAt, record.details.drillStart);

    // The dump: the newest of the bucket (the off-site copy), with its SHA-256 and its age at restore time.
    const manifestName = sandbox.backup.stdout.match(/(obexal-\d{8}T\d{6}Z)\.manifest\.json written/)?.[1];
    assert.equal(details.dump?.origin, 'bucket');
    assert.equal(details.dump?.name, `${manifestName}.dump.zst.age`);
    assert.match(details.dump?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok((details.dump?.ageAtRestoreMs ?? -1) > 0);
    assert.equal(details.keyEra?.needsReencrypt, false);
    assert.equal(stepOf(record, 'reencrypt').outcome, 'skipped');

    // Per-step timings, every step of the drill ran.
    for (const id of [
      'history',
      'checklist',
      'preflight',
      'pick',
      'select',
      'verify',
      'key-era',
      'database',
      'restore',
      'check',
      'start-service',
      'check-jwks',
      'check-login',
      'check-mfa',
      'check-me',
      'rto',
      'teardown',
      'verdict',
    ]) {
      const step = stepOf(record, id);
      assert.equal(step.outcome, 'ok', `${id}: ${step.message}`);
      assert.equal(typeof step.durationMs, 'number');
    }
    assert.deepEqual(record.details.teardown, { authService: 'stopped', database: 'dropped', filesRemoved: [] });
    const pid = stepOf(record, 'start-service').data?.pid as number;
    assert.ok(pid > 0);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the drill auth-service is gone');
    assert.deepEqual(await leftovers(sandbox, runId), NOTHING_LEFT);

    // No secret reached the records, the journal or the output.
    const secrets = [sandbox.env.DRILL_PASSWORD, sandbox.env.DRILL_TOTP_SECRET, sandbox.env.ENCRYPTION_KEY].filter(
      (s): s is string => Boolean(s),
    );
    const findings = scanForSecrets(
      [`${sandbox.env.BACKUP_DIR}/records`, sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string],
      secrets,
      { stdout: result.stdout, stderr: result.stderr },
    );
    assert.deepEqual(findings, []);
  });

  it("a second drill copies the first drill's signed record to the bucket beside the backups", async () => {
    const first = await drill(sandbox);
    assert.equal(first.exitCode, 0, first.stdout.slice(-3000));
    const firstRecord = recordPathOf(first.stdout).split('/').pop() as string;
    const second = await drill(sandbox);
    assert.equal(second.exitCode, 0, second.stdout.slice(-3000));
    const context = openS3(s3SettingsFromEnv(sandbox.env), {
      credentials: {
        accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
    try {
      const names = (await listObjects(context, { under: 'records/' })).map((o) => o.name);
      assert.ok(names.includes(`records/${firstRecord}`), names.join(', '));
      assert.ok(names.includes(`records/${firstRecord}.sig`));
    } finally {
      closeS3(context);
    }
    // The TUI's history reads the same records: every passing drill so far, with its RTO.
    const history = await loadDrillHistory(`${sandbox.env.BACKUP_DIR}/records`);
    assert.ok(history.rtoSeries.length >= 3, JSON.stringify(history.entries));
    assert.ok((history.expectedNextMs ?? 0) > 0);
    assert.equal(history.entries.at(-1)?.dumpName, readRecord(recordPathOf(second.stdout)).details.drill?.dump?.name);
  });

  it('a wrong DRILL_PASSWORD fails the login check: exit 1, a signed failing record naming it, nothing left', async () => {
    const result = await drill(sandbox, [], { DRILL_PASSWORD: 'not-the-drill-password' });
    assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
    const runId = runIdOf(result.stdout);
    const recordPath = recordPathOf(result.stdout);
    const record = readRecord(recordPath);
    assert.equal(record.outcome, 'failed');
    assert.equal(record.exitCode, 1);
    assert.match(record.message ?? '', /Check 2: password login/);
    assert.equal((await verifyWithSshKeygen(sandbox, recordPath)).status, 0);
    const details = record.details.drill;
    assert.deepEqual(details?.failedChecks, ['login', 'mfa', 'me']);
    assert.equal(details?.checks.jwks?.passed, true);
    assert.match(details?.checks.login?.reason ?? '', /invalid_credentials.*wrong DRILL_PASSWORD/);
    assert.match(details?.checks.mfa?.reason ?? '', /not attempted/);
    assert.equal(details?.rto.ms, null);
    assert.equal(details?.rto.met, null);
    assert.equal(stepOf(record, 'check-login').outcome, 'failed');
    assert.equal(stepOf(record, 'teardown').outcome, 'ok');
    assert.equal(stepOf(record, 'verdict').outcome, 'skipped', 'no RTO to judge');
    assert.deepEqual(await leftovers(sandbox, runId), NOTHING_LEFT);
    assert.doesNotMatch(result.stdout + JSON.stringify(record), /not-the-drill-password/);
  });

  it('a wrong TOTP seed fails the MFA check and /v1/auth/me, with the reason', async () => {
    const result = await drill(sandbox, [], { DRILL_TOTP_SECRET: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
    const record = readRecord(recordPathOf(result.stdout));
    assert.deepEqual(record.details.drill?.failedChecks, ['mfa', 'me']);
    assert.match(record.details.drill?.checks.mfa?.reason ?? '', /invalid_mfa_code.*wrong DRILL_TOTP_SECRET/);
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
  });

  it('every check passed but RTO_TARGET missed: exit 5, after the teardown', async () => {
    const result = await drill(sandbox, [], { RTO_TARGET: '1ms' });
    assert.equal(result.exitCode, 5, result.stdout.slice(-3000));
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.exitCode, 5);
    assert.equal(record.details.drill?.rto.met, false);
    assert.deepEqual(record.details.drill?.failedChecks, []);
    assert.match(record.message ?? '', /missed RTO_TARGET 1ms/);
    assert.equal(stepOf(record, 'teardown').outcome, 'ok');
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
  });

  it('an auth-service that exits before it is ready fails the drill with its output, and the teardown runs', async () => {
    const result = await drill(sandbox, [], {
      DRILL_AUTH_SERVICE_START: JSON.stringify([
        process.execPath,
        '-e',
        'console.error("cannot start: no licence"); process.exit(3)',
      ]),
    });
    assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
    assert.match(result.stdout, /exited \(code 3\) before it was ready/);
    assert.match(result.stdout, /cannot start: no licence/);
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(stepOf(record, 'start-service').outcome, 'failed');
    assert.equal(stepOf(record, 'check-jwks').outcome, 'not-run');
    assert.equal(stepOf(record, 'teardown').outcome, 'ok');
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
  });

  it('an auth-service that never gets ready (and ignores SIGTERM) fails at the ready timeout, is killed, and the teardown runs', async () => {
    // The built-in runbook with a short ready timeout: the same steps, run as a runbook file.
    const runbook = join(sandbox.stack.dir, 'drill-short-ready.yaml');
    writeFileSync(
      runbook,
      readFileSync(join(ROOT, 'runbooks', 'drill.yaml'), 'utf8').replace('readyTimeout: 2m', 'readyTimeout: 3s'),
    );
    // It prints its DATABASE_URL: the journal keeps the service's output, with the password redacted.
    const stubborn = JSON.stringify([
      process.execPath,
      '-e',
      "process.on('SIGTERM', () => {}); console.log('warming up forever on ' + process.env.DATABASE_URL); setInterval(() => {}, 1000)",
    ]);
    const result = await runCli(
      [runbook, '--yes', '--answers', sandbox.answersFile],
      { ...sandbox.env, DRILL_AUTH_SERVICE_START: stubborn },
      { timeoutMs: 300_000 },
    );
    assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
    assert.match(result.stdout, /was not ready within 3 s/);
    assert.match(result.stdout, /warming up forever/, 'its output is shown (and journaled)');
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.outcome, 'failed');
    assert.equal(stepOf(record, 'start-service').outcome, 'failed');
    assert.equal(stepOf(record, 'check-jwks').outcome, 'not-run');
    assert.equal(stepOf(record, 'teardown').outcome, 'ok');
    assert.equal(record.details.drill, undefined, 'no RTO: the drill never reached its checks');
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
    const journal = readFileSync(
      join(sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string, 'runs', `${runIdOf(result.stdout)}.jsonl`),
      'utf8',
    );
    const serviceLines = journal
      .split('\n')
      .filter((line) => line.includes('"stepId":"start-service"') && line.includes('warming up forever on'));
    assert.ok(serviceLines.length > 0, 'the service output is in the journal');
    assert.match(
      serviceLines[0] as string,
      /"stepId":"start-service".*warming up forever on postgres:\/\/obexal:\[redacted\]@127\.0\.0\.1:\d+\/obexal_drill_/,
    );
    const drillServerPassword = new URL(sandbox.env.DRILL_DATABASE_URL as string).password;
    assert.ok(
      drillServerPassword && !journal.includes(drillServerPassword),
      'the drill server password reached the journal',
    );
  });

  it('headless without checklist answers: exit 3 before anything is created', async () => {
    const empty = writeAnswers(sandbox.stack.dir, 'empty-answers.yaml', {});
    const result = await drill(sandbox, ['--answers', empty]);
    assert.equal(result.exitCode, 3, result.stdout.slice(-3000));
    assert.match(
      result.stdout,
      /3 checklist item\(s\) need an answer: era-keys-in-vault, sealed-identity-checked, drill-account-only/,
    );
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.outcome, 'refused');
    assert.equal(stepOf(record, 'database').outcome, 'not-run');
    assert.deepEqual(await drillDatabases(sandbox), []);
  });

  it('--dry-run plans every step, checks the drill server and finds the dump, and creates nothing', async () => {
    const result = await runCli(['drill', '--dry-run'], sandbox.env);
    assert.equal(result.exitCode, 0, result.stdout.slice(-3000));
    assert.match(result.stdout, /- check-jwks: skipped .*dry run: would GET \/\.well-known\/jwks\.json/);
    assert.match(result.stdout, /\+ pick: ok .* from the bucket/);
    assert.match(result.stdout, /- database: skipped .*dry run/);
    assert.deepEqual(await drillDatabases(sandbox), []);
  });

  it('a named dump, keep: yes: the drill database is kept (and said so), the service still stopped', async () => {
    const name = sandbox.backup.stdout.match(/(obexal-\d{8}T\d{6}Z\.dump\.zst\.age)/)?.[1] as string;
    const answers = writeAnswers(sandbox.stack.dir, 'keep-answers.yaml', { ...CHECKLIST_ANSWERS, keep: 'yes' });
    const result = await drill(sandbox, [name, '--answers', answers]);
    assert.equal(result.exitCode, 0, result.stdout.slice(-3000));
    const runId = runIdOf(result.stdout);
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.details.drill?.dump?.name, name);
    assert.equal((record.details.teardown as { database: string }).database, 'kept');
    assert.match(result.stdout, /is kept as asked; drop it when done/);
    const left = await leftovers(sandbox, runId);
    assert.deepEqual(left.databases, [`obexal_drill_${runId.toLowerCase().replace(/-/g, '_')}`]);
    assert.deepEqual(left.processes, []);
    assert.deepEqual(left.folders, []);
    await dropDatabase(sandbox.stack.cluster, left.databases[0] as string);
  });

  it('refuses when DRILL_DATABASE_URL names the production database (DATABASE_URL): exit 2, nothing created', async () => {
    const result = await drill(sandbox, [], { DRILL_DATABASE_URL: sandbox.env.DATABASE_URL });
    assert.equal(result.exitCode, 2, result.stdout.slice(-3000));
    assert.match(result.stdout, /refusing to drill: DRILL_DATABASE_URL names .* the database of DATABASE_URL/);
    // Another spelling of the same server (localhost for 127.0.0.1): caught by the system identifier.
    const alias = (sandbox.env.DATABASE_URL as string).replace('127.0.0.1', 'localhost');
    const second = await drill(sandbox, [], { DRILL_DATABASE_URL: alias });
    assert.equal(second.exitCode, 2, second.stdout.slice(-3000));
    assert.match(
      second.stdout,
      /reaches the database of DATABASE_URL .* same server \(system identifier \d+\) and same database "obexal"/,
    );
    const record = readRecord(recordPathOf(second.stdout));
    assert.equal(stepOf(record, 'preflight').outcome, 'failed');
    assert.equal(stepOf(record, 'database').outcome, 'not-run');
    assert.deepEqual(await drillDatabases(sandbox), []);
  });
});
