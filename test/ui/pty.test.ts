import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { keys, spawnPty, withPty } from '../helpers/pty.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Running: present in /proc and not a zombie waiting for a parent (PID 1 in a container may never reap it). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return !isRunning(pid);
}

test('pty helper: cat echoes what is typed, and Ctrl+D ends it with its exit code', async () => {
  await withPty('cat', { cwd: root }, async (pty) => {
    await pty.waitFor(/^/);
    pty.write('hello pty\r');
    const screen = await pty.waitFor(/hello pty\nhello pty/);
    assert.match(screen, /hello pty/);
    pty.write(keys.ctrlD);
    assert.deepEqual(await pty.waitForExit(), { code: 0, signal: null });
  });
});

test('pty helper: the terminal has the size asked for, and CI is not passed on', async () => {
  await withPty(
    'sh -c \'stty size; echo "CI=[$CI]"\'',
    { cwd: root, cols: 91, rows: 27, env: { CI: 'true' } },
    async (pty) => {
      await pty.waitFor('CI=[]');
      assert.match(pty.text(), /27 91/);
    },
  );
});

test('pty helper: a timeout names what was awaited and shows the screen; close ends the whole process tree', async () => {
  const pty = spawnPty(
    `sh -c 'sleep 300 & echo "background=$!"; setsid sleep 301 & echo "own-session=$!"; echo "shell=$$"; wait'`,
    {
      cwd: root,
    },
  );
  const screen = await pty.waitFor(/shell=\d+/);
  await assert.rejects(
    pty.waitFor('never printed', { timeoutMs: 200 }),
    /never printed did not appear within 200 ms; screen:\n.*shell=/s,
  );
  const pids = [...screen.matchAll(/(?:background|own-session|shell)=(\d+)/g)].map((match) => Number(match[1]));
  assert.equal(pids.length, 3);
  for (const pid of pids) assert.ok(isRunning(pid), `${pid} runs before close`);
  await pty.close();
  await pty.close();
  for (const pid of [pty.pid, ...pids]) assert.ok(await waitUntilGone(pid), `${pid} is gone after close`);
});

test('pty helper: a small Ink program draws a select list that arrow keys drive', async () => {
  await withPty('node --import tsx test/ui/fixtures/select-list.tsx', { cwd: root }, async (pty) => {
    await pty.waitFor('item charlie');
    assert.match(pty.text(), /❯ item alpha/);
    let since = pty.mark();
    pty.write(keys.down);
    await pty.waitFor('❯ item bravo', { since });
    since = pty.mark();
    pty.write(keys.down);
    await pty.waitFor('❯ item charlie', { since });
    pty.write(keys.enter);
    await pty.waitFor('chosen: charlie');
    assert.deepEqual(await pty.waitForExit(), { code: 0, signal: null });
  });
});
