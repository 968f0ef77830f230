/** @jsxRuntime automatic */
// (tsx applies tsconfig.json, whose `include` does not cover test/, so the JSX runtime is named here.)
/**
 * Issue 12 in the UI's own tests: lists act only on Enter and count every key of a burst, notes outlive their step
 * and come back in the summary, the stop dialog follows the step's phase, the menu comes back after a run (practice)
 * with its cursor, and Ctrl+C twice leaves it.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { App, type MenuData } from '../../src/ui/App.js';
import { SelectList } from '../../src/ui/components/SelectList.js';
import { InkInteractor } from '../../src/ui/ink-interactor.js';
import { RunSession } from '../../src/ui/run-session.js';
import type { RunEvent } from '../../src/engine/events.js';
import { events, fakeEngine, plannedStep } from './fake-engine.js';
import { keys, settle, track, waitUntil } from './wait.js';

afterEach(cleanup);

const menu: MenuData = {
  runbooks: [
    { name: 'backup', title: 'Back up', description: 'dump, encrypt, replicate, verify' },
    { name: 'drill', title: 'Restore drill', description: 'restore on a throwaway database' },
    { name: 'restore', title: 'Restore', description: 'fetch, verify, confirm, restore', changeWindow: true },
  ],
};

const phase = (stepId: string, text: string): RunEvent =>
  ({ ...events.output(stepId, text, 'info'), kind: 'phase' }) as RunEvent;
/**
 * The last frame drawn with something in it: on exit, Ink 8 hands ink-testing-library an empty frame after the
 * summary (a terminal keeps the summary on screen: the pseudo-terminal tests read it there).
 */
const lastDrawn = (ui: { frames: string[] }): string => [...ui.frames].reverse().find((f) => f.trim() !== '') ?? '';
const note = (stepId: string, text: string): RunEvent =>
  ({ ...events.output(stepId, text, 'info'), kind: 'note' }) as RunEvent;

test('SelectList: digits do nothing; a burst of four Downs moves four items; Enter chooses', async () => {
  const chosen: string[] = [];
  const items = ['a', 'b', 'c', 'd', 'e', 'f'].map((v) => ({ key: v, label: `item ${v}`, value: v }));
  const ui = render(<SelectList items={items} onSelect={(item) => chosen.push(item.value)} />);
  await settle();
  ui.stdin.write('3');
  await settle();
  assert.deepEqual(chosen, []);
  assert.match(ui.lastFrame() ?? '', /❯ item a/);
  ui.stdin.write(keys.down.repeat(4));
  await settle();
  assert.match(ui.lastFrame() ?? '', /❯ item e/);
  ui.stdin.write(`${keys.up}${keys.enter}`);
  await settle();
  assert.deepEqual(chosen, ['d']);
});

test('notes and warnings stay in the history and come back in the summary; the dialog follows the phase', async () => {
  const engine = fakeEngine();
  const interactor = new InkInteractor();
  const session = new RunSession(engine.startRun, interactor);
  const ui = render(<App session={session} prompts={interactor.prompts} />);
  session.start('restore');
  await engine.whenStarted();
  const apply = plannedStep('apply', 'Restore', true);
  engine.emit(events.runStarted([apply]));
  engine.emit(events.stepStarted(apply, 0));
  engine.current = {
    stepId: 'apply',
    title: 'Restore',
    destructive: true,
    onInterrupt: 'Before the swap, nothing changes.',
  };
  engine.emit(phase('apply', 'before the swap: obexal is not replaced'));
  await settle();
  session.ctrlC();
  await settle();
  assert.match(ui.lastFrame() ?? '', /Stop “Restore” now\?[\s\S]*before the swap: obexal is not replaced/);
  engine.emit(phase('apply', 'after the swap: obexal is the restored database'));
  await settle();
  assert.match(ui.lastFrame() ?? '', /Stop “Restore” now\?[\s\S]*after the swap: obexal is the restored database/);
  session.confirmStop();
  engine.emit(events.output('apply', 'stopped before the swap: 127.0.0.1:5432/obexal was not replaced', 'warn'));
  engine.emit(note('apply', 'report line one'));
  engine.emit(events.stepFinished('apply', 'interrupted', { message: 'interrupted by the operator' }));
  engine.finish({ outcome: 'interrupted', exitCode: 130 });
  await waitUntil(
    () => /restore interrupted/.test(lastDrawn(ui)),
    () => lastDrawn(ui),
  );
  const all = ui.frames.join('\n');
  assert.match(all, /⚠ stopped before the swap: 127\.0\.0\.1:5432\/obexal was not replaced/);
  const last = lastDrawn(ui);
  assert.match(
    last,
    /What to keep from this run:[\s\S]*stopped before the swap: 127\.0\.0\.1:5432\/obexal was not replaced[\s\S]*report line one/,
  );
  assert.doesNotMatch(last, /restore failed/);
});

test('a swap: Ctrl+C in the copy step opens the dialog; left open, it names each next step and shows the phase past the swap', async () => {
  const engine = fakeEngine();
  const interactor = new InkInteractor();
  const session = new RunSession(engine.startRun, interactor);
  const ui = render(<App session={session} prompts={interactor.prompts} />);
  session.start('restore');
  await engine.whenStarted();
  const copy = plannedStep('copy', 'Swap: restore into a copy');
  const apply = plannedStep('apply', 'Swap: rename the copy in', true);
  const after = plannedStep('after', 'Live checks');
  engine.emit(events.runStarted([copy, apply, after]));
  engine.emit(events.stepStarted(copy, 0));
  engine.current = { stepId: 'copy', title: copy.title, destructive: false, onInterrupt: 'The copy is dropped.' };
  engine.emit(phase('copy', 'before the swap: stopping now drops the half-restored copy'));
  await settle();
  session.ctrlC();
  await settle();
  assert.equal(engine.interrupts, 0, 'the first Ctrl+C only asks');
  let frame = ui.lastFrame() ?? '';
  assert.match(frame, /Stop “Swap: restore into a copy” now\? +║[\s\S]*before the swap: stopping now drops/);
  assert.doesNotMatch(frame, /It is a destructive step/, 'the copy step is not destructive');
  engine.emit(events.stepFinished('copy', 'ok'));
  engine.current = { stepId: 'apply', title: apply.title, destructive: true, onInterrupt: 'Before the commit…' };
  engine.emit(events.stepStarted(apply, 1));
  engine.emit(phase('apply', 'after the swap: obexal is the restored database'));
  engine.emit(events.stepFinished('apply', 'ok'));
  engine.current = { stepId: 'after', title: after.title, destructive: false };
  engine.emit(events.stepStarted(after, 2));
  await settle();
  frame = ui.lastFrame() ?? '';
  assert.match(frame, /Stop “Live checks” now\?[\s\S]*after the swap: obexal is the restored database/);
  assert.doesNotMatch(frame, /Stop “Swap: restore into a copy”/, 'the title names the step y would stop');
  session.confirmStop();
  assert.equal(engine.interrupts, 1);
  engine.emit(events.stepFinished('after', 'interrupted'));
  engine.finish({ outcome: 'interrupted', exitCode: 130 });
  await waitUntil(
    () => /restore interrupted/.test(lastDrawn(ui)),
    () => lastDrawn(ui),
  );
});

test('without a phase: a dialog about a step that ended is closed; a non-destructive step stops at once', async () => {
  const engine = fakeEngine();
  const interactor = new InkInteractor();
  const session = new RunSession(engine.startRun, interactor);
  const ui = render(<App session={session} prompts={interactor.prompts} />);
  session.start('restore');
  await engine.whenStarted();
  const apply = plannedStep('apply', 'Swap the databases', true);
  const after = plannedStep('after', 'Live checks');
  engine.emit(events.runStarted([apply, after]));
  engine.emit(events.stepStarted(apply, 0));
  engine.current = { stepId: 'apply', title: apply.title, destructive: true };
  await settle();
  session.ctrlC();
  await settle();
  assert.match(ui.lastFrame() ?? '', /Stop “Swap the databases” now\? It is a destructive step\./);
  engine.emit(events.stepFinished('apply', 'ok'));
  engine.current = { stepId: 'after', title: after.title, destructive: false };
  engine.emit(events.stepStarted(after, 1));
  await settle();
  assert.doesNotMatch(ui.lastFrame() ?? '', /Stop “/, 'no phase was said: the dialog about the finished step is moot');
  session.ctrlC();
  assert.equal(engine.interrupts, 1, 'a non-destructive step in a run with no phase stops at once');
  engine.emit(events.stepFinished('after', 'interrupted'));
  engine.finish({ outcome: 'interrupted', exitCode: 130 });
  await waitUntil(
    () => /interrupted/.test(lastDrawn(ui)),
    () => lastDrawn(ui),
  );
});

test('practice: the menu comes back after a run with its cursor; a change-window runbook asks once more; Ctrl+C twice leaves', async () => {
  const engine = fakeEngine();
  const interactor = new InkInteractor();
  const session = new RunSession(engine.startRun, interactor, { returnToMenu: true });
  const ui = render(<App session={session} prompts={interactor.prompts} menu={menu} />);
  const exit = track(session.finished());
  await settle();
  ui.stdin.write(keys.down);
  await settle();
  ui.stdin.write(keys.enter);
  await engine.whenStarted();
  assert.deepEqual(engine.started, ['drill']);
  engine.emit(events.runStarted([]));
  engine.emit(events.runFinished(0));
  engine.finish({ outcome: 'ok', exitCode: 0 });
  await waitUntil(
    () => /❯ Restore drill/.test(ui.lastFrame() ?? ''),
    () => ui.lastFrame() ?? '',
  );
  assert.equal(exit.state, 'pending', 'the session goes on after the run');
  ui.stdin.write(keys.down);
  await settle();
  ui.stdin.write(keys.enter);
  await settle();
  assert.match(ui.lastFrame() ?? '', /Start “Restore”\?[\s\S]*❯ No, back to the menu/);
  ui.stdin.write(keys.enter);
  await settle();
  assert.match(ui.lastFrame() ?? '', /❯ Restore \(restore\)/);
  assert.deepEqual(engine.started, ['drill']);
  session.ctrlC();
  await settle();
  assert.match(ui.lastFrame() ?? '', /Press Ctrl\+C again to leave/);
  assert.equal(exit.state, 'pending');
  session.ctrlC();
  await waitUntil(
    () => exit.state === 'resolved',
    () => ui.lastFrame() ?? '',
  );
  assert.equal(exit.value, 130);
});
