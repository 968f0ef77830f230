/** @jsxRuntime automatic */
// (tsx applies tsconfig.json, whose `include` does not cover test/, so the JSX runtime is named here.)
/** The running step's progress as drawn: a bar in bytes with the rate, the time left and the table; the prompt wait. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { CurrentStep } from '../../src/ui/components/CurrentStep.js';
import type { CurrentStep as CurrentStepState } from '../../src/ui/run-state.js';
import { settle } from '../ui/wait.js';

afterEach(cleanup);

const MB = 1024 * 1024;

function step(progress: CurrentStepState['progress']): CurrentStepState {
  return {
    stepId: 'dump',
    title: 'Dump the database',
    index: 0,
    destructive: false,
    attempt: 1,
    startedAtMs: Date.now(),
    ...(progress ? { progress } : {}),
    tail: [],
  };
}

test('a dump in bytes: bar, amounts, rate, time left and the table being dumped', async () => {
  const progress = {
    done: 12 * MB,
    total: 80 * MB,
    unit: 'bytes',
    label: 'dumping public.users',
    ratePerSecond: 4 * MB,
    etaMs: 17_000,
  };
  const ui = render(<CurrentStep step={step(progress)} />);
  await settle();
  const frame = ui.lastFrame() ?? '';
  assert.match(frame, /dumping public\.users {2}\[█+░+\] {2}15% {2}12\.0 MiB \/ 80\.0 MiB {2}4\.0 MiB\/s {2}ETA 17s/);
});

test('an upload in bytes with a total draws a bar too; rows while a restore loads its data', async () => {
  const upload = { done: 30 * MB, total: 120 * MB, unit: 'bytes', label: 'upload obexal-x.dump.age' };
  const ui = render(<CurrentStep step={step(upload)} />);
  await settle();
  assert.match(ui.lastFrame() ?? '', /upload obexal-x\.dump\.age {2}\[█+░+\] {2}25% {2}30\.0 MiB \/ 120\.0 MiB/);
  const rows = { done: 1_500, total: 4_000, unit: 'rows', label: 'restoring sales.orders', ratePerSecond: 1_200 };
  ui.rerender(<CurrentStep step={step(rows)} />);
  await settle();
  assert.match(
    ui.lastFrame() ?? '',
    /restoring sales\.orders {2}\[█+░+\] {2}37% {2}1,500 rows \/ 4,000 rows {2}1,200 rows\/s/,
  );
});

test('while a prompt waits, the step says so instead of counting', async () => {
  const ui = render(<CurrentStep step={step(undefined)} waiting />);
  await settle();
  assert.match(ui.lastFrame() ?? '', /Dump the database {2}waiting for you/);
  ui.rerender(<CurrentStep step={step(undefined)} />);
  await settle();
  assert.match(ui.lastFrame() ?? '', /Dump the database {2}0s/);
});
