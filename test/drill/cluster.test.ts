/**
 * A drill with no drill server configured (DRILL_DATABASE_URL unset): the drill makes a throwaway PostgreSQL
 * cluster on the spot, restores into it, and its teardown stops the cluster and removes its folder after a pass, a
 * failure and Ctrl+C. keep: yes is refused there (the cluster cannot outlive the drill).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isAlive } from '../../src/pg/cluster-process.js';
import { ROOT } from '../helpers/cli.js';
import {
  drill,
  drillDatabases,
  interruptDrill,
  leftovers,
  NOTHING_LEFT,
  readRecord,
  recordPathOf,
  runIdOf,
  startDrillSandbox,
  stepOf,
  writeAnswers,
  CHECKLIST_ANSWERS,
  type DrillRecord,
  type DrillSandbox,
} from './fixture.js';

const NO_DRILL_SERVER = { DRILL_DATABASE_URL: '' };

interface ClusterFacts {
  folder: string;
  postmasterPid: number;
  major: number;
}

function clusterOf(record: DrillRecord): ClusterFacts {
  const facts = (record.details.drillDatabase as { cluster?: ClusterFacts } | undefined)?.cluster;
  assert.ok(facts, `no cluster in the record: ${JSON.stringify(record.details.drillDatabase)}`);
  return facts;
}

function assertClusterGone(facts: ClusterFacts): void {
  assert.equal(existsSync(facts.folder), false, `the cluster folder ${facts.folder} remains`);
  // isAlive counts a zombie as dead (a container init that does not reap leaves exited daemons as zombies).
  assert.equal(isAlive(facts.postmasterPid), false, 'the cluster server is still running');
}

describe('drill in a throwaway cluster made on the spot', { timeout: 600_000 }, () => {
  let sandbox: DrillSandbox;
  before(async () => {
    sandbox = await startDrillSandbox();
  });
  after(async () => {
    await sandbox?.stop();
  });

  it('passes: the cluster is made, the drill restores into it, the teardown stops it and removes its folder', async () => {
    const result = await drill(sandbox, [], NO_DRILL_SERVER);
    assert.equal(result.exitCode, 0, result.stdout.slice(-4000));
    assert.match(result.stdout, /no DRILL_DATABASE_URL: the drill makes a throwaway cluster made on the spot/);
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.outcome, 'ok');
    assert.deepEqual(record.details.drill?.failedChecks, []);
    assert.equal((record.details.drillServer as { mode: string }).mode, 'cluster');
    const facts = clusterOf(record);
    assert.ok(facts.major >= 13);
    assert.equal((record.details.teardown as { cluster?: string }).cluster, 'stopped');
    // The cluster's random superuser password never reaches the record.
    assert.match(
      String(stepOf(record, 'database').data?.url),
      /^postgres:\/\/obexal:\[redacted\]@127\.0\.0\.1:\d+\/obexal_drill_/,
    );
    assertClusterGone(facts);
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
  });

  it('a failing drill (wrong password) still stops the cluster and signs a failing record', async () => {
    const result = await drill(sandbox, [], { ...NO_DRILL_SERVER, DRILL_PASSWORD: 'not-the-drill-password' });
    assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.outcome, 'failed');
    assert.deepEqual(record.details.drill?.failedChecks, ['login', 'mfa', 'me']);
    assertClusterGone(clusterOf(record));
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
  });

  it('Ctrl+C (SIGINT) while the auth-service starts: exit 130, the cluster stopped and removed', async () => {
    const slowStart = JSON.stringify([
      'sh',
      '-c',
      'sleep 3; exec "$0" "$@"',
      process.execPath,
      `${ROOT}/bin/obexal-sandbox-auth-service`,
      'serve',
    ]);
    const { exitCode, stdout } = await interruptDrill(sandbox, /> start-service: /, 500, {
      ...NO_DRILL_SERVER,
      DRILL_AUTH_SERVICE_START: slowStart,
    });
    assert.equal(exitCode, 130, stdout.slice(-3000));
    const record = readRecord(recordPathOf(stdout));
    assert.equal(record.outcome, 'interrupted');
    assert.equal(stepOf(record, 'teardown').outcome, 'ok');
    assertClusterGone(clusterOf(record));
    assert.deepEqual(await leftovers(sandbox, runIdOf(stdout)), NOTHING_LEFT);
  });

  it('keep: yes with no drill server: refused (exit 2) before anything is made', async () => {
    const answers = writeAnswers(sandbox.stack.dir, 'cluster-keep.yaml', { ...CHECKLIST_ANSWERS, keep: 'yes' });
    const result = await drill(sandbox, ['--answers', answers], NO_DRILL_SERVER);
    assert.equal(result.exitCode, 2, result.stdout.slice(-3000));
    assert.match(result.stdout, /keep: yes needs a drill server that outlives the drill/);
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(stepOf(record, 'database').outcome, 'not-run');
    assert.deepEqual(await drillDatabases(sandbox), []);
  });
});
