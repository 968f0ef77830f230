/**
 * Point-in-time recovery through the real pgBackRest (issue 15): pitr-setup on a cluster that archives nothing,
 * a full and an incremental physical backup, rows written after the backup, a recovery to a time between two
 * writes giving exactly the rows before it, the PITR drill with a signed record naming RTO and RPO, and the bad
 * inputs refused before anything is touched.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { interruptAt, recordPathOf } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { writeAnswers, CHECKLIST_ANSWERS } from '../drill/fixture.js';
import { archiveCurrentWal, cli, hasPgBackRest, sql, startPitrSandbox, type PitrSandbox } from './fixture.js';

function record(
  stdout: string,
): Record<string, unknown> & { details: Record<string, unknown>; steps: { id: string; outcome: string }[] } {
  return JSON.parse(readFileSync(recordPathOf(stdout), 'utf8'));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sandbox: PitrSandbox;

describe(
  'point-in-time recovery with pgBackRest',
  { timeout: 1_200_000, skip: hasPgBackRest ? false : 'pgbackrest is not installed' },
  () => {
    let answers: string;
    before(async () => {
      sandbox = await startPitrSandbox();
      answers = tempDir('obexal-pitr-answers-');
    });
    after(async () => {
      await sandbox?.stop();
    });

    it('pitr-setup writes a private configuration, turns archiving on through a restart, and takes a full backup', async () => {
      const result = await cli(sandbox, ['pitr-setup', '--yes'], { CONFIRM: 'yes' });
      assert.equal(result.exitCode, 0, result.stdout.slice(-4000) + result.stderr);
      assert.match(result.stdout, /ALTER SYSTEM SET archive_mode = 'on'/);
      const mode = statSync(sandbox.configFile).mode & 0o777;
      assert.equal(mode, 0o600);
      const config = readFileSync(sandbox.configFile, 'utf8');
      assert.match(config, /repo1-cipher-type=aes-256-cbc/);
      assert.ok(
        !result.stdout.includes(sandbox.passphrase) && !result.stderr.includes(sandbox.passphrase),
        'the passphrase was printed',
      );
      const [archiving] = await sql<{ mode: string }>(
        sandbox,
        "SELECT setting AS mode FROM pg_settings WHERE name = 'archive_mode'",
      );
      assert.equal(archiving?.mode, 'on');
      const details = record(result.stdout).details as { physicalBackup?: { type: string } };
      assert.equal(details.physicalBackup?.type, 'full');
    });

    it('an incremental backup, then a recovery to a time between two writes gives exactly the rows before it', async () => {
      await sql(
        sandbox,
        'CREATE TABLE pitr_marker (n int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())',
      );
      const incrAnswers = writeAnswers(answers, 'incr.yaml', { type: 'incr' });
      const incrArgs = [
        'backup',
        '--physical',
        '--yes',
        '--answers',
        incrAnswers,
        '--reason',
        'pre-migration',
        '--pin',
        '30d',
      ];
      const incr = await cli(sandbox, incrArgs);
      assert.equal(incr.exitCode, 0, incr.stdout.slice(-4000));
      const physical = (
        record(incr.stdout).details as { physicalBackup?: { type: string; pinnedUntil: string | null } }
      ).physicalBackup;
      assert.equal(physical?.type, 'incr');
      assert.ok(physical?.pinnedUntil && physical.pinnedUntil > new Date(Date.now() + 29 * 86_400_000).toISOString());
      await sql(sandbox, 'INSERT INTO pitr_marker (n) VALUES (1)');
      await pause(1500);
      const [{ at: between } = { at: new Date() }] = await sql<{ at: Date }>(sandbox, 'SELECT clock_timestamp() AS at');
      await pause(1500);
      await sql(sandbox, 'INSERT INTO pitr_marker (n) VALUES (2)');
      await archiveCurrentWal(sandbox);

      const restore = await cli(sandbox, ['restore', '--to', between.toISOString(), '--yes'], { CONFIRM: 'yes' });
      assert.equal(restore.exitCode, 0, restore.stdout.slice(-5000) + restore.stderr);
      const rows = await sql<{ n: number }>(sandbox, 'SELECT n FROM pitr_marker ORDER BY n');
      assert.deepEqual(
        rows.map((r) => r.n),
        [1],
      );
      const pitr = (record(restore.stdout).details as { pitr?: { lastReplayedCommit: string | null } }).pitr;
      assert.ok(pitr?.lastReplayedCommit && pitr.lastReplayedCommit <= between.toISOString(), JSON.stringify(pitr));
    });

    it('the PITR drill passes with a signed record naming the RTO and the RPO reached', async () => {
      await archiveCurrentWal(sandbox);
      const checklist = writeAnswers(answers, 'drill.yaml', CHECKLIST_ANSWERS);
      const result = await cli(sandbox, ['drill', '--pitr', '--yes', '--answers', checklist]);
      assert.equal(result.exitCode, 0, result.stdout.slice(-5000) + result.stderr);
      const drill = record(result.stdout);
      const details = drill.details as {
        drill?: { rto: { ms: number | null }; dump: { ageAtRestoreMs: number | null } | null };
        pitr?: unknown;
      };
      assert.ok(typeof details.drill?.rto.ms === 'number', 'no RTO');
      assert.ok(typeof details.drill?.dump?.ageAtRestoreMs === 'number', 'no RPO');
      assert.ok(details.pitr, 'no recovery facts in the record');
      assert.ok(statSync(`${recordPathOf(result.stdout)}.sig`).size > 0);
    });

    it('Ctrl+C during the recovery: exit 130, the throwaway cluster stopped and removed, the target untouched', async () => {
      const [{ count: rowsBefore } = { count: '' }] = await sql<{ count: string }>(
        sandbox,
        'SELECT count(*)::text AS count FROM pitr_marker',
      );
      const env = { ...sandbox.env, CONFIRM: 'yes' };
      const { exitCode, stdout } = await interruptAt(
        ['pitr-restore', '--yes'],
        env,
        /restoring into a throwaway cluster in /,
        1500,
      );
      assert.equal(exitCode, 130, stdout.slice(-3000));
      const folder = /restoring into a throwaway cluster in (\S+)/.exec(stdout)?.[1];
      assert.ok(folder, 'the run did not name its cluster folder');
      assert.equal(existsSync(folder), false, `the recovered cluster folder ${folder} remains`);
      const [{ count: rowsAfter } = { count: '' }] = await sql<{ count: string }>(
        sandbox,
        'SELECT count(*)::text AS count FROM pitr_marker',
      );
      assert.equal(rowsAfter, rowsBefore);
    });

    it('a time before the oldest backup is refused before anything is touched, naming the window', async () => {
      const to = writeAnswers(answers, 'early.yaml', { to: '2001-01-01T00:00:00Z' });
      const result = await cli(sandbox, ['pitr-restore', '--yes', '--answers', to], { CONFIRM: 'yes' });
      assert.equal(result.exitCode, 2, result.stdout.slice(-3000));
      assert.match(result.stdout + result.stderr, /reachable window is \d{4}-/);
    });

    it('a time without a zone is refused', async () => {
      const to = writeAnswers(answers, 'nozone.yaml', { to: '2026-12-02 14:32' });
      const result = await cli(sandbox, ['pitr-restore', '--yes', '--answers', to], { CONFIRM: 'yes' });
      assert.equal(result.exitCode, 2, result.stdout.slice(-3000));
      assert.match(result.stdout + result.stderr, /has no time zone/);
    });

    it('without pgBackRest on PATH the run names the package to install', async () => {
      const result = await cli(sandbox, ['physical-backup', '--yes'], { PATH: '/nonexistent' });
      assert.notEqual(result.exitCode, 0);
      assert.match(result.stdout + result.stderr, /apt-get install pgbackrest/);
    });

    it("a wrong repository passphrase fails with pgBackRest's reason, and prints neither passphrase", async () => {
      const wrong = tempDir('obexal-pitr-wrong-');
      const file = `${wrong}/pass`;
      const { writeFileSync } = await import('node:fs');
      writeFileSync(file, 'not-the-passphrase\n', { mode: 0o600 });
      const result = await cli(sandbox, ['physical-backup', '--yes'], {
        PITR_CIPHER_PASS_COMMAND: JSON.stringify(['cat', file]),
      });
      assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
      assert.ok(!(result.stdout + result.stderr).includes(sandbox.passphrase));
      assert.ok(!(result.stdout + result.stderr).includes('not-the-passphrase'));
    });
  },
);
