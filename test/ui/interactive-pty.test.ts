/**
 * runInteractive in a real pseudo-terminal, with a scripted engine (test/ui/fixtures/interactive-fake.ts):
 * keys, prompts, the summary, the exit code, and the terminal given back as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { keys, withPty, type PtySession } from '../helpers/pty.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = 'node --import tsx test/ui/fixtures/interactive-fake.ts';
const SECRET = 'practice-key-Hq7Lm2Pz9';

async function answer(pty: PtySession, expect: string | RegExp, keystrokes: string[]): Promise<void> {
  await pty.waitFor(expect, { since: 0 });
  for (const keystroke of keystrokes) {
    const since = pty.mark();
    pty.write(keystroke);
    // Each key is let through only after the screen has reacted to the previous one (or a short pause for keys
    // that change nothing visible yet).
    await pty.waitFor(/[\s\S]/, { since, timeoutMs: 5_000 }).catch(() => undefined);
  }
}

test('menu, run, every prompt kind, summary: exit 0, the secret never drawn, the terminal restored', async () => {
  await withPty(`sh -c '${fixture}; echo "status=$?"; stty -a'`, { cwd: root, timeoutMs: 20_000 }, async (pty) => {
    await answer(pty, 'Practice restore (practice-restore)', [keys.enter]);
    await pty.waitFor('✔ Dump the database');
    await answer(pty, 'Why this run?', [keys.down, keys.enter]);
    await pty.waitFor('✔ Choose the reason');
    assert.match(pty.text(), /· reason: drill/);
    await answer(pty, 'Paste the practice key', ['short', keys.enter]);
    await pty.waitFor('a practice key has at least 12 characters');
    await answer(pty, 'at least 12', [SECRET, keys.enter]);
    await pty.waitFor('Type  127.0.0.1:5432/practice  to confirm');
    assert.match(pty.text(), /database practice is dropped and restored from the dump/);
    await answer(pty, 'to confirm', ['127.0.0.1:5432/practise', keys.enter]);
    await pty.waitFor('does not match. Type exactly: 127.0.0.1:5432/practice');
    await answer(pty, 'does not match', ['127.0.0.1:5432/practice', keys.enter]);
    await answer(pty, '☐ Announce the end of the drill', [keys.enter]);
    await answer(pty, 'Note (optional', ['posted in #ops', keys.enter]);
    await pty.waitFor('status=');
    const screen = pty.text();
    assert.match(screen, /✔ practice-restore finished {2}exit 0 \(ok\)/);
    assert.match(screen, /record: \/tmp\/records\/practice-run-e2e\.json ✔ signature verified/);
    assert.match(screen, /exit code 0\nstatus=0/);
    assert.equal(screen.split('✔ Dump the database').length - 1, 1, 'a finished step is printed once');
    assert.ok(!pty.raw().includes(SECRET) && !pty.raw().includes('Hq7Lm2Pz9'), 'the secret reached the terminal');
    // The terminal is given back: cursor shown after the last time it was hidden, line mode and echo back on.
    const raw = pty.raw();
    assert.ok(raw.lastIndexOf('\u001B[?25h') > raw.lastIndexOf('\u001B[?25l'), 'the cursor is shown again');
    await pty.waitFor(/\bicanon\b/);
    assert.match(pty.text(), /(^|\s)icanon(\s|$)/m);
    assert.match(pty.text(), /(^|\s)echo(\s|$)/m);
    assert.deepEqual(await pty.waitForExit(), { code: 0, signal: null });
  });
});

test('a named runbook starts without the menu; Esc on the typed confirmation refuses with exit 3', async () => {
  const options = { cwd: root, cols: 160, timeoutMs: 20_000, env: { FAKE_RUNBOOK: 'practice-restore' } };
  await withPty(fixture, options, async (pty) => {
    await answer(pty, 'Why this run?', [keys.enter]);
    await answer(pty, 'Paste the practice key', [SECRET, keys.enter]);
    await answer(pty, 'to confirm', [keys.escape]);
    await pty.waitFor('exit code 3');
    assert.doesNotMatch(pty.text(), /Enter to choose, Ctrl\+C to leave/, 'no menu');
    assert.match(pty.text(), /confirmation not given: nothing was changed/);
    assert.match(
      pty.text().slice(-2_000),
      /exit 3 \(an answer or a confirmation was required and not given; nothing was changed\)/,
    );
    assert.deepEqual(await pty.waitForExit(), { code: 3, signal: null });
  });
});

test('Ctrl+C interrupts the step and the engine asks; retry runs it again; Ctrl+C twice stops with 130', async () => {
  await withPty(
    fixture,
    { cwd: root, timeoutMs: 20_000, env: { FAKE_RUNBOOK: 'practice-restore', FAKE_SLOW: '1' } },
    async (pty) => {
      await pty.waitFor('pg_dump: dumping table 3');
      pty.write(keys.ctrlC);
      await pty.waitFor('interrupting… press Ctrl+C again to exit');
      await answer(pty, 'Dump the database was interrupted. Retry it or stop the run?', [keys.up, keys.enter]);
      await pty.waitFor('Dump the database (attempt 2)');
      const since = pty.mark();
      await pty.waitFor('pg_dump: dumping table 2', { since });
      pty.write(keys.ctrlC);
      await pty.waitFor('interrupting… press Ctrl+C again to exit', { since });
      await pty.waitFor('Retry it or stop the run?', { since });
      pty.write(keys.ctrlC);
      await pty.waitFor('exit code 130');
      assert.equal(pty.text().split('⊘ Dump the database').length - 1, 2, 'both attempts are shown as interrupted');
      assert.match(
        pty.text().slice(-1_500),
        /practice-restore interrupted {2}exit 130 \(interrupted \(SIGINT\), cleanup done\)/,
      );
      assert.deepEqual(await pty.waitForExit(), { code: 130, signal: null });
    },
  );
});

test('SIGTERM while a step runs: the run is aborted, the summary shown, exit 143, cursor shown', async () => {
  await withPty(
    fixture,
    { cwd: root, timeoutMs: 20_000, env: { FAKE_RUNBOOK: 'practice-restore', FAKE_SLOW: '1' } },
    async (pty) => {
      await pty.waitFor('pg_dump: dumping table 3');
      pty.signal('SIGTERM');
      await pty.waitFor('exit code 143');
      assert.match(pty.text(), /exit 143 \(terminated \(SIGTERM\), cleanup done\)/);
      const raw = pty.raw();
      assert.ok(raw.lastIndexOf('\u001B[?25h') > raw.lastIndexOf('\u001B[?25l'), 'the cursor is shown again');
      assert.deepEqual(await pty.waitForExit(), { code: 143, signal: null });
    },
  );
});
