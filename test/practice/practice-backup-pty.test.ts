/**
 * A practice backup whose vault checklist gets a "Not done" (issue 12): while the checklist waits the step's timer
 * says "waiting for you"; the run fails on the checklist, but its summary says the dump made before stands
 * (verified, in the bucket), names it, and the menu comes back with the sandbox up.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';

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
  'practice backup with a "Not done" checklist item: waiting for you, the dump said to stand, the menu back',
  { timeout: 600_000 },
  async () => {
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} practice; echo "status=$?"`;
    const env = { HOME: home, XDG_STATE_HOME: undefined };
    await withPty(
      `sh -c ${shellQuote(command)}`,
      { cwd: ROOT, cols: 120, rows: 40, env, timeoutMs: 120_000 },
      async (pty) => {
        await pty.waitFor('Quit', { timeoutMs: 240_000 });
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
        assert.match(summary, /✔ [^\n]*: obexal-\d{8}T\d{6}Z\.dump\.age/, 'the dump is named as standing');
        assert.doesNotMatch(pty.text(), /Practice sandbox stopped/, 'the sandbox is still up after the run');
        await press(pty, keys.up, /❯ Quit/);
        pty.write(keys.enter);
        await pty.waitFor('status=', { timeoutMs: 120_000 });
        assert.match(pty.text(), /status=0/);
      },
    );
  },
);
