/**
 * `--dry-run` prints a true plan (issue 13), for the point-in-time recovery runbooks: the plan and the dry run's line
 * for each step against what a real run through the real pgBackRest then does (the comparison in plan-vs-run.ts).
 * One PITR sandbox (the practice stack and the `pitr` scenario's repository, as test/pitr uses), in the order an
 * operator meets the runbooks: pitr-setup, physical-backup, pitr-drill, pitr-restore.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHECKLIST_ANSWERS, writeAnswers } from '../drill/fixture.js';
import { archiveCurrentWal, hasPgBackRest, sql, startPitrSandbox, type PitrSandbox } from '../pitr/fixture.js';
import { comparePlanWithRun } from './plan-vs-run.js';

/**
 * A write, then its WAL segment archived: after a backup (which ends on a WAL switch) with no write since,
 * pg_switch_wal switches nothing and names the segment in use, which is never archived.
 */
async function writeAndArchive(sandbox: PitrSandbox): Promise<void> {
  await sql(sandbox, 'CREATE TABLE IF NOT EXISTS plan_wal_marker (at timestamptz NOT NULL)');
  await sql(sandbox, 'INSERT INTO plan_wal_marker VALUES (clock_timestamp())');
  await archiveCurrentWal(sandbox);
}

describe(
  'the plan of --dry-run against the real run that follows: point-in-time recovery',
  { timeout: 1_200_000, skip: hasPgBackRest ? false : 'pgbackrest is not installed' },
  () => {
    let sandbox: PitrSandbox;
    let env: Record<string, string>;
    before(async () => {
      sandbox = await startPitrSandbox();
      env = { ...sandbox.env, CONFIRM: 'yes' };
    });
    after(async () => {
      await sandbox?.stop();
    });

    it('pitr-setup: configuration, archiving turned on, stanza, first full backup', async () => {
      const { ranActions } = await comparePlanWithRun('pitr-setup', { env });
      assert.ok(ranActions.has('pitr.backup'), 'the first full backup was taken');
    });

    it('physical-backup', async () => {
      const { ranActions } = await comparePlanWithRun('physical-backup', { env });
      assert.ok(ranActions.has('pitr.backup'));
    });

    it('pitr-drill', async () => {
      await writeAndArchive(sandbox);
      const answers = writeAnswers(sandbox.stack.dir, 'plan-drill.yaml', CHECKLIST_ANSWERS);
      const { ranActions } = await comparePlanWithRun('pitr-drill', { env, args: ['--answers', answers] });
      assert.ok(ranActions.has('pitr.recover') && ranActions.has('drill.check-me'), [...ranActions].join());
    });

    it('pitr-restore to the latest point', async () => {
      await writeAndArchive(sandbox);
      const { ranActions } = await comparePlanWithRun('pitr-restore', { env });
      assert.ok(ranActions.has('pitr.recover') && ranActions.has('restore.after'), [...ranActions].join());
    });
  },
);
