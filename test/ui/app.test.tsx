/** @jsxRuntime automatic */
// (tsx applies tsconfig.json, whose `include` does not cover test/, so the JSX runtime is named here.)
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { App, type MenuData } from '../../src/ui/App.js';
import { InkInteractor } from '../../src/ui/ink-interactor.js';
import { RunSession } from '../../src/ui/run-session.js';
import { events, fakeEngine, plannedStep } from './fake-engine.js';
import { keys, settle, track, waitUntil } from './wait.js';

afterEach(cleanup);

/**
 * The last frame with something on it. Once the app has exited, Ink (with `CI` set, as on a CI machine) writes
 * one more, empty, frame: what the operator last saw is the one before.
 */
function lastDrawn(frames: string[]): string {
  return frames.filter((frame) => frame.trim() !== '').at(-1) ?? '';
}

const menu: MenuData = {
  runbooks: [
    { name: 'backup', title: 'Back up', description: 'dump, encrypt, replicate, verify' },
    { name: 'restore', title: 'Restore', description: 'fetch, verify, confirm, restore' },
    { name: 'drill', title: 'Restore drill', description: 'restore on a throwaway database and measure the RTO' },
  ],
  recentRuns: ['run-41  backup  ok  2025-01-02 03:04'],
  records: ['20250102T030405Z-backup-run-41.json'],
};

function setup(runbook?: string) {
  const engine = fakeEngine();
  const interactor = new InkInteractor();
  const session = new RunSession(engine.startRun, interactor);
  const ui = render(<App session={session} prompts={interactor.prompts} menu={menu} />);
  if (runbook) session.start(runbook);
  const frame = () => lastDrawn(ui.frames);
  const press = async (key: string) => {
    ui.stdin.write(key);
    await settle();
  };
  return { engine, session, ui, frame, press, exitCode: track(session.finished()) };
}

describe('menu', () => {
  test('lists the runbooks with their descriptions; arrow keys and Enter start the chosen one', async () => {
    const { engine, frame, press } = setup();
    await settle();
    // The description only under the highlighted runbook (the menu fits 80x24).
    assert.match(frame(), /❯ Back up \(backup\)\n {4}dump, encrypt, replicate, verify/);
    assert.match(frame(), /Restore drill \(drill\)/);
    assert.doesNotMatch(frame(), /restore on a throwaway database/);
    assert.match(frame(), /Recent runs \(1\)/);
    assert.match(frame(), /Records \(1\)/);
    await press(keys.down);
    await press(keys.down);
    await press(keys.up);
    await press(keys.enter);
    await engine.whenStarted();
    assert.deepEqual(engine.started, ['restore']);
  });

  test('Recent runs and Records show the lists passed in; Esc goes back; Quit leaves with 0', async () => {
    const { engine, frame, press, exitCode } = setup();
    await settle();
    for (let i = 0; i < 3; i++) await press(keys.down);
    await press(keys.enter);
    assert.match(frame(), /Recent runs\n {2}run-41 {2}backup {2}ok/);
    await press(keys.escape);
    assert.match(frame(), /Back up \(backup\)/);
    // The cursor is where it was (Recent runs), not back on "Back up".
    assert.match(frame(), /❯ Recent runs/);
    await press(keys.down);
    await press(keys.enter);
    assert.match(frame(), /Records\n {2}20250102T030405Z-backup-run-41\.json/);
    await press(keys.enter);
    await press(keys.down); // from Records (kept) to Quit
    await press(keys.enter);
    await waitUntil(() => exitCode.state === 'resolved', frame);
    assert.equal(exitCode.value, 0);
    assert.deepEqual(engine.started, []);
  });

  test('Ctrl+C in the menu leaves with 130 without starting anything', async () => {
    const { engine, press, frame, exitCode } = setup();
    await settle();
    await press(keys.ctrlC);
    await waitUntil(() => exitCode.state === 'resolved', frame);
    assert.equal(exitCode.value, 130);
    assert.deepEqual(engine.started, []);
  });
});

describe('a run from start to summary', () => {
  test('events, a prompt answered through the interactor, then the summary and the exit code', async () => {
    const { engine, frame, press, exitCode } = setup('backup');
    await engine.whenStarted();
    const pick = plannedStep('pick', 'Choose the reason');
    engine.emit(events.runStarted([pick]));
    engine.emit(events.stepStarted(pick, 0));
    const answer = engine.interactor.choose(
      {
        kind: 'choice',
        name: 'reason',
        message: 'Why this backup?',
        options: [
          { value: 'manual', label: 'manual' },
          { value: 'pre-migration', label: 'before a migration' },
        ],
        default: 'manual',
      },
      engine.signal,
    );
    await settle();
    assert.match(frame(), /Why this backup\?/);
    await press(keys.down);
    await press(keys.enter);
    assert.equal(await answer, 'pre-migration');
    engine.emit(events.stepFinished('pick', 'ok'));
    engine.emit(events.runFinished(0, 3_000));
    engine.finish({ exitCode: 0, recordPath: '/tmp/r/x.json', recordVerified: true });
    await waitUntil(() => exitCode.state === 'resolved', frame);
    assert.equal(exitCode.value, 0);
    await settle();
    assert.match(frame(), /✔ backup finished {2}exit 0 \(ok\) · total 3\.0s/);
    assert.match(frame(), /record: \/tmp\/r\/x\.json ✔ signature verified/);
    assert.doesNotMatch(frame(), /Why this backup/);
  });

  test('a run that cannot start shows why and exits with the error’s code', async () => {
    const engine = fakeEngine();
    const interactor = new InkInteractor();
    const { UsageError } = await import('../../src/core/errors.js');
    const session = new RunSession(async () => {
      throw new UsageError('unknown runbook "bakup"', 'choose one of: backup, restore');
    }, interactor);
    const ui = render(<App session={session} prompts={interactor.prompts} />);
    session.start('bakup');
    assert.equal(await session.finished(), 2);
    await settle();
    assert.match(lastDrawn(ui.frames), /unknown runbook "bakup"/);
    assert.match(lastDrawn(ui.frames), /→ choose one of: backup, restore/);
    assert.deepEqual(engine.started, []);
  });
});

describe('Ctrl+C and signals', () => {
  const dump = plannedStep('dump', 'Dump the database');
  const swap = plannedStep('swap', 'Swap the databases', true);

  async function running(step: typeof dump) {
    const context = setup('backup');
    await context.engine.whenStarted();
    context.engine.emit(events.runStarted([dump, swap]));
    context.engine.emit(events.stepStarted(step, step === dump ? 0 : 1));
    context.engine.current = { stepId: step.id, title: step.title, destructive: step.destructive };
    await settle();
    return context;
  }

  test('during a non-destructive step: the first interrupts the step, the second aborts the run', async () => {
    const { engine, frame, press } = await running(dump);
    await press(keys.ctrlC);
    assert.equal(engine.interrupts, 1);
    assert.deepEqual(engine.aborts, []);
    assert.match(frame(), /interrupting… press Ctrl\+C again to exit/);
    await press(keys.ctrlC);
    assert.equal(engine.interrupts, 1);
    assert.deepEqual(engine.aborts, ['SIGINT']);
    assert.match(frame(), /stopping the run: cleaning up/);
  });

  test('after an interrupted step is retried, the next Ctrl+C is a first one again', async () => {
    const { engine, press } = await running(dump);
    await press(keys.ctrlC);
    engine.emit(events.stepFinished('dump', 'interrupted'));
    engine.emit(events.stepStarted(dump, 0, 2));
    await settle();
    await press(keys.ctrlC);
    assert.equal(engine.interrupts, 2);
    assert.deepEqual(engine.aborts, []);
  });

  test('during a destructive step: a dialog first says what stopping would leave; n continues, y interrupts', async () => {
    const { engine, frame, press } = await running(swap);
    engine.current = { ...engine.current!, onInterrupt: 'the old database renamed aside and the new one half loaded' };
    await press(keys.ctrlC);
    assert.equal(engine.interrupts, 0, 'nothing is interrupted before the operator confirms');
    assert.match(frame(), /Stop “Swap the databases” now\? It is a destructive step\./);
    assert.match(frame(), /the old database renamed aside and the new one half loaded/);
    await press('n');
    assert.doesNotMatch(frame(), /Stop “Swap the databases” now/);
    assert.equal(engine.interrupts, 0);
    await press(keys.ctrlC);
    assert.match(frame(), /Stop “Swap the databases” now/);
    await press(keys.escape);
    assert.doesNotMatch(frame(), /Stop “Swap the databases” now/);
    await press(keys.ctrlC);
    await press('y');
    assert.equal(engine.interrupts, 1);
    assert.match(frame(), /interrupting… press Ctrl\+C again to exit/);
    await press(keys.ctrlC);
    assert.deepEqual(engine.aborts, ['SIGINT']);
  });

  test('during a destructive step: Ctrl+C again while the dialog is open stops the run', async () => {
    const { engine, press } = await running(swap);
    await press(keys.ctrlC);
    await press(keys.ctrlC);
    assert.equal(engine.interrupts, 0);
    assert.deepEqual(engine.aborts, ['SIGINT']);
  });

  test('the dialog keeps keys away from an open prompt', async () => {
    const { engine, frame, press } = await running(swap);
    const answer = track(engine.interactor.text({ kind: 'text', name: 'note', message: 'A note?' }, engine.signal));
    await settle();
    await press(keys.ctrlC);
    await press('n');
    await press('ok');
    await press(keys.enter);
    await waitUntil(() => answer.state !== 'pending', frame);
    assert.equal(answer.value, 'ok', 'the n went to the dialog, not into the prompt');
  });

  test('SIGTERM aborts the run with SIGTERM and closes an open prompt; the exit code is the engine’s', async () => {
    const { engine, session, frame, exitCode } = await running(dump);
    const answer = track(
      engine.interactor.text({ kind: 'text', name: 'x', message: 'x?' }, new AbortController().signal),
    );
    await settle();
    session.terminate('SIGTERM');
    assert.deepEqual(engine.aborts, ['SIGTERM']);
    await waitUntil(() => answer.state === 'rejected', frame);
    engine.finish({ outcome: 'interrupted', exitCode: 143 });
    await waitUntil(() => exitCode.state === 'resolved', frame);
    assert.equal(exitCode.value, 143);
    await settle();
    assert.match(frame(), /exit 143 \(terminated \(SIGTERM\), cleanup done\)/);
  });
});

describe('menu: drill history', () => {
  test('shows the earlier drills with their RTO sparkline and the expected next duration; Esc goes back', async () => {
    const { drillHistory } = await import('../../src/drill/history.js');
    const { drillHistoryView } = await import('../../src/drill/history-view.js');
    const drill = (runId: string, finishedAt: string, ms: number) => ({
      runbook: 'drill',
      runId,
      finishedAt,
      outcome: 'ok',
      details: {
        drill: {
          rto: { ms, targetMs: 1_800_000, met: true },
          failedChecks: [],
          dump: { name: 'd', ageAtRestoreMs: 3_600_000 },
        },
      },
    });
    const view = drillHistoryView(
      drillHistory([drill('a', '2026-03-01T10:00:00.000Z', 600_000), drill('b', '2026-06-01T10:00:00.000Z', 660_000)]),
      '/backups/records',
    );
    const engine = fakeEngine();
    const interactor = new InkInteractor();
    const session = new RunSession(engine.startRun, interactor);
    const ui = render(<App session={session} prompts={interactor.prompts} menu={{ ...menu, drillHistory: view }} />);
    await settle();
    assert.match(lastDrawn(ui.frames), /Drill history \(2\)/);
    for (let i = 0; i < 5; i++) {
      ui.stdin.write(keys.down);
      await settle();
    }
    ui.stdin.write(keys.enter);
    await settle();
    assert.match(lastDrawn(ui.frames), /RTO of the last 2 measured drill\(s\)/);
    assert.match(lastDrawn(ui.frames), /next drill expected: ~1\dm \d+s/);
    ui.stdin.write(keys.escape);
    await settle();
    assert.match(lastDrawn(ui.frames), /Back up \(backup\)/);
  });
});
