/**
 * Resizing the terminal while a prompt waits never loses a finished step line (issue 12: "Resizing during a prompt
 * lost a finished step line for good"). A real terminal emulator keeps what is on screen and in its scrollback:
 * tmux, on a server of its own, running the scripted run of test/ui/fixtures/interactive-fake.ts; the window is
 * narrowed, widened and narrowed again while the run waits for an answer, and the whole pane (history included)
 * is read back.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const server = `obexal-resize-${process.pid}`;
const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
delete env.CI; // Ink draws nothing in a terminal when CI is set (MEASURED.md)
delete env.CONTINUOUS_INTEGRATION;
delete env.TMUX;

const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { env, encoding: 'utf8' });

/** The whole pane, scrollback included, wrapped lines joined. */
const pane = (): string => tmux('capture-pane', '-p', '-J', '-t', 'run', '-S', '-', '-E', '-');

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForPane(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = pane();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${pattern} did not appear; pane:\n${text.slice(-1_500)}`);
    await pause(200);
  }
}

const resize = async (cols: number, rows: number) => {
  tmux('resize-window', '-t', 'run', '-x', String(cols), '-y', String(rows));
  await pause(800);
};

test('a resize while a prompt waits keeps every finished line on screen or in the scrollback', async (t) => {
  try {
    execFileSync('tmux', ['-V']);
  } catch {
    t.skip('tmux is not installed');
    return;
  }
  const command = `cd ${root} && node --import tsx test/ui/fixtures/interactive-fake.ts; echo "status=$?"; sleep 600`;
  tmux('new-session', '-d', '-s', 'run', '-x', '100', '-y', '30', command);
  try {
    tmux('set-option', '-t', 'run', 'history-limit', '10000');
    await waitForPane(/❯ Practice restore \(practice-restore\)/);
    await pause(200);
    tmux('send-keys', '-t', 'run', 'Enter');
    await waitForPane(/✔ Dump the database[\s\S]*Why this run\?/);
    await pause(200);
    await resize(50, 18);
    await resize(120, 40);
    await resize(70, 24);
    const after = pane();
    assert.match(after, /✔ Dump the database/, `the finished step line was lost:\n${after}`);
    assert.match(after, /Why this run\?/, 'the prompt is still drawn');
    // The run goes on after the resizes: the next answer is taken and the finished line is still there.
    tmux('send-keys', '-t', 'run', 'Down');
    await pause(300);
    tmux('send-keys', '-t', 'run', 'Enter');
    const later = await waitForPane(/✔ Choose the reason/);
    assert.match(later, /✔ Dump the database[\s\S]*✔ Choose the reason/);
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // the server already ended with its last session
    }
  }
});
