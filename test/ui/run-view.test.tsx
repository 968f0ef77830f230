/** @jsxRuntime automatic */
// (tsx applies tsconfig.json, whose `include` does not cover test/, so the JSX runtime is named here.)
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import type { RunEvent } from '../../src/engine/events.js';
import { RunView } from '../../src/ui/components/RunView.js';
import { initialRunState, reduceRunEvent, type RunState } from '../../src/ui/run-state.js';
import { events, plannedStep } from './fake-engine.js';
import { settle } from './wait.js';

afterEach(cleanup);

const occurrences = (text: string, part: string) => text.split(part).length - 1;

test('RunView: header, live step with progress and output tail, finished steps shown once in Static', async () => {
  const dump = plannedStep('dump', 'Dump the database');
  const encrypt = plannedStep('encrypt', 'Encrypt the dump');
  const swap = plannedStep('swap', 'Swap the databases', true);
  let state: RunState = initialRunState;
  const ui = render(<RunView run={state} />);
  const apply = async (...list: RunEvent[]) => {
    for (const event of list) state = reduceRunEvent(state, event);
    ui.rerender(<RunView run={state} />);
    await settle();
  };
  const frame = () => ui.lastFrame() ?? '';

  await apply(events.runStarted([dump, encrypt, swap], 'run-42'), events.stepStarted(dump, 0));
  assert.match(frame(), /▶ Practice backup/);
  assert.match(frame(), /run run-42 · interactive/);
  assert.match(frame(), /Dump the database/);
  assert.match(frame(), /○ Encrypt the dump/);
  assert.match(frame(), /○ Swap the databases \[destructive\]/);

  await apply(events.progress('dump', 60 * 1024 * 1024, 200 * 1024 * 1024, 'bytes'));
  assert.match(frame(), / 30%  60\.0 MiB \/ 200\.0 MiB/);

  const lines = Array.from({ length: 9 }, (_, i) => `pg_dump: dumping table ${i + 1}`);
  await apply(
    events.output('dump', `${lines.join('\n')}\n`),
    events.output('dump', '\u001B[31mred\u001B[0m 10%\r100%\n'),
  );
  assert.doesNotMatch(frame(), /dumping table 4\b/, 'older lines leave the tail');
  assert.match(frame(), /│ pg_dump: dumping table 5/);
  assert.match(frame(), /│ pg_dump: dumping table 9/);
  assert.match(frame(), /│ 100%/, 'escape codes removed, a carriage return keeps the last redraw');
  // eslint-disable-next-line no-control-regex -- asserts that no escape code is printed
  assert.doesNotMatch(frame(), /\u001B\[31m/);

  await apply(events.stepFinished('dump', 'ok', { durationMs: 64_000, message: '267.0 MiB written' }));
  await apply(events.stepStarted(encrypt, 1));
  assert.match(frame(), /✔ Dump the database {2}1m 04s {2}267\.0 MiB written/);
  assert.doesNotMatch(frame(), /dumping table/, 'the tail goes with its step');

  await apply(
    events.stepFinished('encrypt', 'failed', {
      message: 'age: no identity matched',
      hint: 'check BACKUP_IDENTITY_FILE',
    }),
  );
  await apply(events.stepFinished('swap', 'skipped', { durationMs: 0 }));
  await apply(events.runFinished(1));
  const last = frame();
  assert.match(last, /✖ Encrypt the dump .*age: no identity matched/);
  assert.match(last, /→ check BACKUP_IDENTITY_FILE/);
  assert.match(last, /↷ Swap the databases \[destructive\]/);
  assert.equal(occurrences(last, 'Dump the database'), 1, 'a finished step is drawn once');
  assert.equal(occurrences(last, 'Encrypt the dump'), 1);
  assert.equal(occurrences(last, '▶ Practice backup'), 1);
  assert.doesNotMatch(last, /○/, 'no pending steps are left');
});

test('RunView: a progress without a total shows the amount; a warning outside a step is kept', async () => {
  const vacuum = plannedStep('vacuum', 'Count rows');
  let state = reduceRunEvent(initialRunState, events.runStarted([vacuum]));
  state = reduceRunEvent(state, events.output('other', 'Node 20 support ends soon', 'warn'));
  state = reduceRunEvent(state, events.stepStarted(vacuum, 0));
  state = reduceRunEvent(state, events.progress('vacuum', 123_456, undefined, 'rows'));
  const ui = render(<RunView run={state} notice="interrupting… press Ctrl+C again to exit" />);
  await settle();
  assert.match(ui.lastFrame() ?? '', /123,456 rows/);
  assert.match(ui.lastFrame() ?? '', /⚠ Node 20 support ends soon/);
  assert.match(ui.lastFrame() ?? '', /interrupting… press Ctrl\+C again to exit/);
});
