/**
 * Ctrl+C at the first question of a resumed run (the dump list of a resumed restore) is no "nothing to resume":
 * the run it continues can still be resumed, so the summary keeps the ending with the command that does it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../src/engine/events.js';
import { summarise } from '../../src/ui/run-session.js';
import { initialRunState, reduceRunEvent } from '../../src/ui/run-state.js';

const at = '2026-12-03T12:00:00.000Z';

function stoppedAtFirstQuestion(resumed: boolean) {
  const events: RunEvent[] = [
    {
      type: 'run-started',
      runId: 'r1',
      runbook: 'restore',
      title: 'Restore',
      runbookSha256: 'sha',
      mode: 'interactive',
      dryRun: false,
      ...(resumed ? { resumedFrom: 'r1' } : {}),
      inputs: {},
      steps: [],
      at,
    },
    {
      type: 'run-finished',
      runId: 'r1',
      outcome: 'interrupted',
      exitCode: 130,
      durationMs: 5,
      ending: { target: 'untouched', done: [], left: ['select'], next: 'obexal-runbook restore --resume r1' },
      at,
    },
  ];
  const run = events.reduce(reduceRunEvent, initialRunState);
  return summarise({
    runbook: 'restore',
    run,
    exitCode: 130,
    cancelledAtQuestion: true,
    result: { runId: 'r1', outcome: 'interrupted', exitCode: 130 },
  });
}

test('a new run stopped at its first question is cancelled: nothing to resume', () => {
  const summary = stoppedAtFirstQuestion(false);
  assert.equal(summary.cancelled, true);
  assert.deepEqual(summary.ending, []);
});

test('a resumed run stopped at its first question keeps its ending: the command that resumes it', () => {
  const summary = stoppedAtFirstQuestion(true);
  assert.equal(summary.cancelled, false);
  assert.ok(
    summary.ending.some((line) => line.includes('obexal-runbook restore --resume r1')),
    summary.ending.join('\n'),
  );
});
