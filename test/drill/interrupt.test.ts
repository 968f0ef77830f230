/**
 * Ctrl+C (SIGINT to the CLI, as a terminal sends it) during a drill: exit 130, and the teardown leaves nothing:
 * the throwaway database dropped, the auth-service gone, the private folder (decrypted dump) removed, and a
 * signed record that says the drill was interrupted. The sandbox is seeded larger so that pg_restore runs long
 * enough to be interrupted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';
import {
  interruptDrill,
  leftovers,
  NOTHING_LEFT,
  readRecord,
  recordPathOf,
  runIdOf,
  startDrillSandbox,
  stepOf,
  type DrillSandbox,
} from './fixture.js';

describe('drill interrupted (SIGINT)', { timeout: 600_000 }, () => {
  let sandbox: DrillSandbox;
  before(async () => {
    sandbox = await startDrillSandbox({ size: { auditEvents: 300_000 } });
  });
  after(async () => {
    await sandbox?.stop();
  });

  it('during the restore: exit 130, database dropped, private folder gone, a signed record says interrupted', async () => {
    const result = await interruptDrill(sandbox, /> restore: /, 300);
    assert.equal(result.exitCode, 130, result.stdout.slice(-3000));
    const runId = runIdOf(result.stdout);
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.outcome, 'interrupted');
    assert.equal(record.exitCode, 130);
    assert.equal(stepOf(record, 'restore').outcome, 'interrupted');
    assert.equal(stepOf(record, 'start-service').outcome, 'not-run');
    assert.equal(stepOf(record, 'teardown').outcome, 'ok');
    assert.equal((record.details.teardown as { database: string }).database, 'dropped');
    assert.deepEqual(await leftovers(sandbox, runId), NOTHING_LEFT);
    // A drill is run whole: its database and service went with it, and an RTO across two runs means nothing.
    const resumed = await runCli(['drill', '--yes', '--answers', sandbox.answersFile, '--resume', runId], sandbox.env);
    assert.equal(resumed.exitCode, 4, resumed.stdout.slice(-2000) + resumed.stderr);
    assert.match(resumed.stdout, /a drill cannot be resumed/);
  });

  it('while the auth-service starts: exit 130, the service and everything it started are gone', async () => {
    // A service that takes its time to start (as a container does), so that the interrupt lands while it starts.
    const slowStart = JSON.stringify([
      'sh',
      '-c',
      'sleep 3; exec "$0" "$@"',
      process.execPath,
      `${ROOT}/bin/obexal-sandbox-auth-service`,
      'serve',
    ]);
    const result = await interruptDrill(sandbox, /> start-service: /, 500, { DRILL_AUTH_SERVICE_START: slowStart });
    assert.equal(result.exitCode, 130, result.stdout.slice(-3000));
    const runId = runIdOf(result.stdout);
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.outcome, 'interrupted');
    assert.equal(stepOf(record, 'start-service').outcome, 'interrupted');
    assert.equal(stepOf(record, 'teardown').outcome, 'ok');
    assert.deepEqual(await leftovers(sandbox, runId), NOTHING_LEFT);
  });
});
