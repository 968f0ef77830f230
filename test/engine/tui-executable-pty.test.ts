/**
 * The real executable in a pseudo-terminal: the sample runbook (choice, secret, shell, checklist, typed
 * confirmation) through the Ink UI, and the same record shape as headless.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, ROOT, runCli, testHome } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';

const SAMPLE = join(ROOT, 'runbooks/examples/sample.yaml');
const SECRET = 'tui-secret-Zq81xPw';

async function type(pty: PtySession, expect: string | RegExp, keystrokes: string[]): Promise<void> {
  await pty.waitFor(expect, { since: 0 });
  for (const keystroke of keystrokes) {
    const since = pty.mark();
    pty.write(keystroke);
    await pty.waitFor(/[\s\S]/, { since, timeoutMs: 5_000 }).catch(() => undefined);
  }
}

function recordsOf(env: Record<string, string>): Record<string, unknown>[] {
  const dir = join(env.BACKUP_DIR!, 'records');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>);
}

function shape(record: Record<string, unknown>): unknown {
  return {
    keys: Object.keys(record).sort(),
    steps: (record.steps as { id: string; outcome: string }[]).map((s) => [s.id, s.outcome]),
  };
}

test(
  'the sample runbook runs in the TUI of the real executable and leaves the same record shape as headless',
  { timeout: 90_000 },
  async () => {
    const home = testHome();
    const env = { ...home.env, HOME: process.env.HOME ?? '/root', PATH: process.env.PATH ?? '' };
    const exports = Object.entries(env)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    const command = `env ${exports} ${shellQuote(process.execPath)} -- ${shellQuote(BIN)} ${shellQuote(SAMPLE)}; echo "status=$?"`;
    await withPty(`sh -c ${shellQuote(command)}`, { cwd: ROOT, cols: 140, timeoutMs: 60_000 }, async (pty) => {
      await type(pty, 'Where should the greeting go?', [keys.down, keys.enter]);
      await type(pty, 'A sample secret', [SECRET, keys.enter]);
      await type(pty, 'ENCRYPTION_KEY of every era is in the vault', [keys.enter]);
      await pty
        .waitFor('Note (optional', { since: 0 })
        .then(() => pty.write(keys.enter))
        .catch(() => undefined);
      await type(pty, 'sealed offline copy', [keys.enter]);
      await pty
        .waitFor(/Note \(optional[\s\S]*Note \(optional/, { since: 0, timeoutMs: 3_000 })
        .then(() => pty.write(keys.enter))
        .catch(() => undefined);
      await type(pty, 'localhost:5432/sample', ['localhost:5432/sample', keys.enter]);
      await pty.waitFor('status=', { timeoutMs: 30_000 });
      assert.match(pty.text(), /status=0/);
      assert.ok(!pty.raw().includes(SECRET), 'the secret was drawn on the screen');
    });
    const [tuiRecord] = recordsOf(home.env);
    assert.equal(tuiRecord?.mode, 'interactive');
    assert.equal(tuiRecord?.outcome, 'ok');

    const headlessHome = testHome();
    const answers = join(headlessHome.dir, 'answers.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(answers, 'place: log\nvault-checked: done\nidentity-sealed: done\nconfirm: localhost:5432/sample\n');
    const headless = await runCli([SAMPLE, '--answers', answers], {
      ...headlessHome.env,
      DRILL_PASSWORD: SECRET,
      CONFIRM: 'yes',
    });
    assert.equal(headless.exitCode, 0, headless.stdout);
    const [headlessRecord] = recordsOf(headlessHome.env);
    assert.deepEqual(shape(headlessRecord!), shape(tuiRecord!));
  },
);
