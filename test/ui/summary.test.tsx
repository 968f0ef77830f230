/** @jsxRuntime automatic */
// (tsx applies tsconfig.json, whose `include` does not cover test/, so the JSX runtime is named here.)
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { Summary } from '../../src/ui/components/Summary.js';

afterEach(cleanup);

test('Summary of a passing run: outcome, exit code meaning, total time, record path and its verification', () => {
  const ui = render(
    <Summary
      runbook="backup"
      exitCode={0}
      durationMs={64_000}
      counts={{ ok: 5, skipped: 1 }}
      result={{
        runId: 'run-7',
        outcome: 'ok',
        exitCode: 0,
        recordPath: '/var/backups/records/20250102T030405Z-backup-run-7.json',
        recordVerified: true,
      }}
    />,
  );
  const frame = ui.lastFrame() ?? '';
  assert.match(frame, /✔ backup finished {2}exit 0 \(ok\) · total 1m 04s/);
  assert.match(frame, /✔ 5 ok {2}↷ 1 skipped/);
  assert.match(frame, /record: \/var\/backups\/records\/20250102T030405Z-backup-run-7\.json ✔ signature verified/);
});

test('Summary of a failed run: message, hint, unverified record and how to resume', () => {
  const ui = render(
    <Summary
      runbook="restore"
      exitCode={1}
      result={{
        runId: 'run-8',
        outcome: 'failed',
        exitCode: 1,
        message: 'pg_restore exited with code 1',
        hint: 'read the journal for the command output',
        recordPath: '/r/x.json',
        recordVerified: false,
        journalPath: '/j/run-8.jsonl',
      }}
    />,
  );
  const frame = ui.lastFrame() ?? '';
  assert.match(frame, /✖ restore failed {2}exit 1 \(a step failed\)/);
  assert.match(frame, /pg_restore exited with code 1/);
  assert.match(frame, /→ read the journal for the command output/);
  assert.match(frame, /record: \/r\/x\.json ✖ signature not verified/);
  assert.match(frame, /continue with: obexal-runbook restore --resume run-8/);
});

test("Summary of a stopped run repeats its ending: the target's state, what is left, what continues it", () => {
  const ending = [
    'target: HALF-WAY: "Restore" did not finish',
    'stopped at apply: Before the commit of the rename the database is as it was',
    'done: select, verify; left: apply, after',
    'to continue: obexal-runbook restore --resume run-9',
  ];
  const frame = render(<Summary runbook="restore" exitCode={130} ending={ending} />).lastFrame() ?? '';
  for (const line of ending) assert.ok(frame.includes(line), `missing: ${line}\n${frame}`);
  const passed = render(<Summary runbook="restore" exitCode={0} ending={ending} />).lastFrame() ?? '';
  assert.doesNotMatch(passed, /target: HALF-WAY/, 'a run that succeeded shows no ending');
});

test('Summary when the run could not start, and when no record was written', () => {
  const refused = render(
    <Summary
      runbook="nope"
      exitCode={2}
      failure={{ message: 'unknown runbook nope', hint: 'see obexal-runbook --help' }}
    />,
  );
  assert.match(refused.lastFrame() ?? '', /exit 2 \(usage error or invalid runbook\)/);
  assert.match(refused.lastFrame() ?? '', /unknown runbook nope/);
  const interrupted = render(
    <Summary runbook="backup" exitCode={130} result={{ runId: 'r', outcome: 'interrupted', exitCode: 130 }} />,
  );
  assert.match(
    interrupted.lastFrame() ?? '',
    /backup interrupted {2}exit 130 \(interrupted \(SIGINT\), cleanup done\)/,
  );
  assert.match(interrupted.lastFrame() ?? '', /no record was written/);
});

test('Summary of a backup failed by its checklist: the dump that is safe is said, notes repeated, no resume', () => {
  const ui = render(
    <Summary
      runbook="backup"
      exitCode={1}
      counts={{ ok: 8, failed: 1 }}
      notes={['⚠ S3 region not reported by the endpoint']}
      completed={[
        {
          title: 'Dump, encrypt and verify',
          message: 'obexal-20250102T030405Z.dump.age: 1.2 MiB, SHA-256 verified on disk',
        },
        { title: 'Replicate to the bucket and verify the copy', message: 'read back in full' },
        { title: 'Lock the source database' },
      ]}
      result={{ runId: 'run-9', outcome: 'failed', exitCode: 1, message: 'Check the vault: 1 of 3 item(s) not done' }}
    />,
  );
  const frame = ui.lastFrame() ?? '';
  assert.match(frame, /What to keep from this run:\n {2}⚠ S3 region not reported/);
  assert.match(frame, /✖ backup failed {2}exit 1/);
  assert.match(
    frame,
    /Done before that \(these results stand\):\n {4}✔ Dump, encrypt and verify: obexal-20250102T030405Z\.dump\.age/,
  );
  assert.match(frame, /✔ Replicate to the bucket and verify the copy: read back in full/);
  assert.doesNotMatch(frame, /Lock the source database/, 'steps without a result are not listed');
});

test('Summary of a run cancelled at its first question: cancelled, exit 130, nothing to resume', () => {
  const ui = render(
    <Summary
      runbook="restore"
      exitCode={130}
      cancelled
      result={{ runId: 'r', outcome: 'interrupted', exitCode: 130, journalPath: '/j/r.jsonl' }}
    />,
  );
  const frame = ui.lastFrame() ?? '';
  assert.match(frame, /⊘ restore cancelled {2}exit 130/);
  assert.match(frame, /nothing was done, nothing to resume/);
  assert.doesNotMatch(frame, /--resume|failed/);
});
