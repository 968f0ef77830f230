/**
 * The last lines of a run, from the runbook's own fields (issue 17, item 8): the target's state for each way a run
 * can stop (untouched, changed, half-way in a destructive step), the steps done and left, what the runbook says
 * about stopping where it stopped, the application left stopped, and no `--resume` before the first step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepState } from '../../src/engine/action.js';
import { describeEnding, type EndingFacts } from '../../src/engine/ending.js';
import { parseRunbook } from '../../src/engine/load-runbook.js';
import { actionCatalogue } from '../../src/cli/action-catalogue.js';
import { endingLines } from '../../src/engine/ending-lines.js';

const runbook = parseRunbook(
  `name: replace
title: Replace
steps:
  - id: look
    title: Look
    action: shell
    with: { command: ["true"] }
  - id: swap
    title: Swap the database
    action: shell
    destructive: true
    onInterrupt: >
      Before the rename nothing changed;
      after it the new database is in place.
    with: { command: ["true"] }
  - id: check
    title: Check
    action: shell
    with: { command: ["true"] }
  - id: teardown
    title: Teardown
    action: shell
    always: true
    with: { command: ["true"] }
`,
  'replace.yaml',
  'sha',
  actionCatalogue(),
);

const ok: StepState = { outcome: 'ok', data: {} };
const facts = (extra: Partial<EndingFacts> = {}): EndingFacts => ({
  outcome: 'interrupted',
  resumeCommand: 'obexal-runbook replace --resume R1',
  application: undefined,
  appStartCommand: undefined,
  ...extra,
});

describe('the ending of a run', () => {
  it('untouched when the run stopped before the destructive step; half-way when that step failed', () => {
    const ending = describeEnding(
      runbook,
      { look: ok, swap: { outcome: 'failed', data: {} } },
      facts({ outcome: 'refused' }),
    );
    assert.equal(ending?.target, 'HALF-WAY: "Swap the database", which changes it, did not finish');
    const before = describeEnding(runbook, { look: { outcome: 'interrupted', data: {} } }, facts());
    assert.equal(before?.target, 'untouched: no step that changes it started');
    assert.deepEqual(before?.left, ['look', 'swap', 'check']);
    assert.equal(before?.next, 'obexal-runbook replace --resume R1');
  });

  it('half-way in the destructive step: says which, and what the runbook says stopping there leaves', () => {
    const ending = describeEnding(runbook, { look: ok, swap: { outcome: 'interrupted', data: {} } }, facts());
    assert.deepEqual(endingLines(ending), [
      'target: HALF-WAY: "Swap the database", which changes it, did not finish',
      'stopped at swap: Before the rename nothing changed; after it the new database is in place.',
      'done: look; left: swap, check',
      'to continue: obexal-runbook replace --resume R1',
    ]);
  });

  it('changed when the destructive step finished before the run stopped', () => {
    const ending = describeEnding(
      runbook,
      { look: ok, swap: ok, check: { outcome: 'timed-out', data: {} }, teardown: ok },
      facts({ outcome: 'failed' }),
    );
    assert.equal(ending?.target, 'CHANGED: "Swap the database" finished before the run stopped');
    assert.deepEqual(ending?.left, ['check']);
  });

  it('names an application left stopped with the command that starts it, even when the run succeeded', () => {
    const stopped = facts({ outcome: 'ok', application: 'stopped', appStartCommand: '["systemctl","start","obexal"]' });
    const ending = describeEnding(runbook, { look: ok, swap: ok, check: ok }, stopped);
    assert.deepEqual(endingLines(ending), [
      'target: changed by "Swap the database"',
      'application: STOPPED by this run (APP_STOP_COMMAND) and not started again: start it with APP_START_COMMAND: ["systemctl","start","obexal"]',
    ]);
    assert.equal(
      describeEnding(runbook, { look: ok }, facts({ outcome: 'ok' })),
      undefined,
      'a run that changed nothing ends quietly',
    );
  });

  it('offers no --resume before the first step ran (there is no journal to resume)', () => {
    assert.equal(describeEnding(runbook, {}, facts({ outcome: 'refused' }))?.next, undefined);
  });
});
