/**
 * Practice at 80x24 (issue 12): the menu, with the first start's tour, fits the screen with the title, the keys
 * and the highlighted item on it. A practice backup whose vault checklist gets a "Not done": while the checklist
 * waits the step's timer says "waiting for you"; the run fails on the checklist, but its summary says the dump
 * made before stands (verified, in the bucket), names it, and the menu comes back with the sandbox up. Ctrl+C
 * twice at the menu ends the session and removes the sandbox.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { keys, lastFrame, shellQuote, withPty, type PtySession } from '../helpers/pty.js';

const home = mkdtempSync(join(tmpdir(), 'obexal-practice-backup-home-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** Presses `key` and waits for `expect` to appear after it. */
async function press(pty: PtySession, key: string, expect: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const since = pty.mark();
  pty.write(key);
  await pty.waitFor(expect, { since, timeoutMs });
  return pty.text().slice(since);
}

/** Answers the checklist item on screen: "Done", or ↓ to "Not done"; no note. */
async function answerItem(pty: PtySession, done: boolean): Promise<void> {
  await pty.waitFor(/☐ [^\n]+\n[\s\S]*❯ Done/, { since: Math.max(0, pty.mark() - 2_000), timeoutMs: 120_000 });
  if (!done) await press(pty, keys.down, /❯ Not done/);
  await press(pty, keys.enter, 'Note (optional');
  await press(pty, keys.enter, done ? /\[x\]|✔ done/ : /\[ \]|✖ not done/);
}

test(
  'practice at 80x24: the menu fits; a "Not done" backup: waiting for you, the dump stands; Ctrl+C twice ends it',
  { timeout: 600_000 },
  async () => {
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} practice; echo "status=$?"`;
    const env = { HOME: home, XDG_STATE_HOME: undefined };
    await withPty(
      `sh -c ${shellQuote(command)}`,
      { cwd: ROOT, cols: 80, rows: 24, env, timeoutMs: 120_000 },
      async (pty) => {
        await pty.waitFor('Quit', { timeoutMs: 240_000 });
        assert.match(pty.text(), /Practice: your own sandbox/, 'the first start shows the tour');
        await press(pty, keys.down.repeat(8), /❯ Restore the Obexal database from a dump \(restore\)/);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const frame = lastFrame(pty);
        assert.ok(frame.length < 24, `the practice menu is ${frame.length} lines high at 80x24:\n${frame.join('\n')}`);
        assert.equal(frame[0], 'obexal-runbook', 'the title is on screen');
        assert.match(frame[1] ?? '', /↑\/↓ move · Enter choose/, 'the key hint is on screen');
        assert.ok(
          frame.some((line) => line.startsWith('❯ Restore the Obexal database')),
          'the highlighted item is on screen',
        );
        await press(pty, keys.up.repeat(8), /❯ Back up the Obexal database/);
        const since = pty.mark();
        pty.write(keys.enter);
        await pty.waitFor(/☐ [^\n]+\n[\s\S]*❯ Done/, { since, timeoutMs: 240_000 });
        assert.match(pty.text().slice(since), /waiting for you/, 'the step timer says it waits for the operator');
        await answerItem(pty, false);
        await answerItem(pty, true);
        await answerItem(pty, true);
        await pty.waitFor(/✖ backup failed/, { since, timeoutMs: 240_000 });
        await pty.waitFor(/❯ Back up the Obexal database/, { since: pty.mark() - 4_000 });
        const summary = pty.text().slice(pty.text().lastIndexOf('✖ backup failed'));
        if (process.env.PTY_DUMP) (await import('node:fs')).writeFileSync(process.env.PTY_DUMP, pty.text());
        assert.match(summary, /not done/);
        assert.match(summary, /these results stand/);
        assert.match(summary, /the dump itself is safe/, 'the summary says the dump is safe');
        assert.match(summary, /✔ [^\n]*: obexal-\d{8}T\d{6}Z\.dump\.zst\.age/, 'the dump is named as standing');
        assert.doesNotMatch(pty.text(), /Practice sandbox stopped/, 'the sandbox is still up after the run');
        // Ctrl+C twice at the menu ends the session and the sandbox with it (the other practice tests use Quit).
        const dir = /everything\s+(\/\S+obexal-practice-\S+)/.exec(pty.text())?.[1];
        assert.ok(dir, 'the sandbox says where it lives');
        pty.write(keys.ctrlC);
        await new Promise((resolve) => setTimeout(resolve, 300));
        pty.write(keys.ctrlC);
        await pty.waitFor('status=', { timeoutMs: 120_000 });
        assert.match(pty.text(), /Practice sandbox stopped and removed/);
        assert.equal(existsSync(dir), false, 'the sandbox folder is gone');
        assert.match(pty.text(), /status=130/, 'left by Ctrl+C: exit 130');
        if (process.env.PTY_DUMP) (await import('node:fs')).writeFileSync(process.env.PTY_DUMP, pty.text());
      },
    );
  },
);
