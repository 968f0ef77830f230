/**
 * `--dry-run` prints a true plan (issue 13), for the point-in-time recovery runbooks: the plan and the dry run's line
 * for each step against what a real run through the real pgBackRest then does (the comparison in plan-vs-run.ts).
 * One PITR sandbox (the practice stack and the `pitr` scenario's repository, as test/pitr uses), in the order an
 * operator meets the runbooks: pitr-setup, physical-backup, pitr-drill, pitr-restore.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CHECKLIST_ANSWERS, writeAnswers } from '../drill/fixture.js';
import { archiveCurrentWal, startPitrSandbox, type PitrSandbox } from '../pitr/fixture.js';
import { comparePlanWithRun } from './plan-vs-run.js';

const hasPgBackRest = (() => {
  try {
    statSync('/usr/bin/pgbackrest');
    return true;
  } catch {
    return false;
  }
})();

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
      const { finished } = await comparePlanWithRun('pitr-setup', { env });
      assert.equal(finished.find((s) => s.stepId === 'backup')?.outcome, 'ok');
    });

    it('physical-backup', async () => {
      const { finished } = await comparePlanWithRun('physical-backup', { env });
      assert.equal(finished.find((s) => s.stepId === 'backup')?.outcome, 'ok');
    });

    it('pitr-drill', async () => {
      await archiveCurrentWal(sandbox);
      const answers = writeAnswers(sandbox.stack.dir, 'plan-drill.yaml', CHECKLIST_ANSWERS);
      const { finished } = await comparePlanWithRun('pitr-drill', { env, args: ['--answers', answers] });
      assert.equal(finished.find((s) => s.stepId === 'check-me')?.outcome, 'ok');
    });

    it('pitr-restore to the latest point', async () => {
      await archiveCurrentWal(sandbox);
      const { finished } = await comparePlanWithRun('pitr-restore', { env });
      assert.equal(finished.find((s) => s.stepId === 'apply')?.outcome, 'ok');
    });
  },
);
