/** `obexal-runbook practice` in a pseudo-terminal: the sandbox starts, the menu opens, Quit tears it all down. */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { keys, shellQuote, withPty } from '../helpers/pty.js';

test(
  'practice opens the menu against the sandbox and leaves no process or folder after Quit',
  { timeout: 240_000 },
  async () => {
    let sandboxDir = '';
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} practice; echo "status=$?"`;
    // A HOME of its own: the practice state and the tour's "seen" mark live under it.
    const env = { HOME: tempDir('obexal-practice-pty-home-') };
    await withPty(`sh -c ${shellQuote(command)}`, { cwd: ROOT, cols: 140, timeoutMs: 90_000, env }, async (pty) => {
      await pty.waitFor(/❯ Back up/, { timeoutMs: 120_000 });
      const match = /everything\s+(\/\S+obexal-practice-\S+)/.exec(pty.text());
      assert.ok(match, 'the sandbox says where it lives');
      sandboxDir = match[1] as string;
      assert.ok(existsSync(sandboxDir));
      assert.match(pty.text(), /\(backup\)/, 'the menu lists the built-in runbooks');
      // Up from the first entry wraps to the last one, Quit.
      const since = pty.mark();
      pty.write(keys.up);
      await pty.waitFor(/❯\s*Quit/, { since, timeoutMs: 10_000 });
      pty.write(keys.enter);
      await pty.waitFor('status=', { timeoutMs: 30_000 });
      assert.match(pty.text(), /Practice sandbox stopped and removed/);
      assert.match(pty.text(), /status=0/);
    });
    assert.equal(existsSync(sandboxDir), false, 'the sandbox folder is gone');
    const left = await execa('pgrep', ['-f', sandboxDir], { reject: false });
    assert.equal(String(left.stdout).trim(), '', 'no process of the sandbox remains');
  },
);
