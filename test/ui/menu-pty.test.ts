/**
 * The real executable's menu in a pseudo-terminal of 80x24 (issue 12): digits never act, a burst of keys moves
 * as many items as it holds, the menu fits the screen with the highlighted item visible, a change-window runbook
 * asks once more, and NO_COLOR / TERM=dumb give no colour codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';

const home = mkdtempSync(join(tmpdir(), 'obexal-menu-pty-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** Nothing configured: the menu of a fresh machine (its own HOME and configuration folder). */
const ENV = {
  HOME: home,
  OBEXAL_RUNBOOK_CONFIG_DIR: join(home, 'config'),
  DATABASE_URL: undefined,
  BACKUP_DIR: undefined,
  NO_COLOR: undefined,
};
const COMMAND = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)}`;
// eslint-disable-next-line no-control-regex
const SGR = /\u001B\[[0-9;]*m/;
const CLEAR_SCREEN = '\u001B[2J';

/** What the terminal shows now: the text drawn after Ink's last "erase the previous frame". */
function lastFrame(pty: PtySession): string[] {
  const raw = pty.raw();
  const start = raw.lastIndexOf('\u001B[G');
  // eslint-disable-next-line no-control-regex -- a synchronized-output escape code
  const frame = raw.slice(start === -1 ? 0 : start).replace(/\u001B\[\?2026[hl]/g, '');
  return (
    frame
      .split('\n')
      // eslint-disable-next-line no-control-regex -- CSI escape codes
      .map((line) => line.replace(/\u001B\[[0-?]*[ -/]*[@-~]/g, '').replace(/\r/g, ''))
      .filter((line, index, lines) => !(index === lines.length - 1 && line === ''))
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test(
  'menu at 80x24: digits do nothing, four Downs in one write move four items, it fits, restore asks once more',
  { timeout: 90_000 },
  async () => {
    await withPty(COMMAND, { cwd: ROOT, cols: 80, rows: 24, env: ENV, timeoutMs: 60_000 }, async (pty) => {
      await pty.waitFor('obexal-runbook: starting…');
      await pty.waitFor('Quit');
      assert.match(
        pty.text(),
        /Practise safely in a sandbox: obexal-runbook practice/,
        'with nothing configured the menu names the practice sandbox',
      );
      assert.match(pty.text(), /❯ Back up/);

      // Digits: nothing starts, the cursor does not move.
      for (const digit of ['3', '5', '1']) pty.write(digit);
      await pause(700);
      assert.doesNotMatch(pty.text(), /starting backup|Start “|▶ /, 'a digit acted without Enter');
      assert.ok(
        lastFrame(pty).some((line) => line.startsWith('❯ Back up')),
        'the cursor stayed on Back up',
      );

      // Four Downs in one write (as a burst arrives): backup → drill → key-rotation → physical-backup → pitr-drill;
      // four more: → pitr-restore → pitr-setup → reencrypt-secrets → restore.
      let since = pty.mark();
      pty.write(keys.down.repeat(4));
      await pty.waitFor(/❯ Point-in-time recovery drill .*\(pitr-drill\)/, { since });
      since = pty.mark();
      pty.write(keys.down.repeat(4));
      await pty.waitFor(/❯ Restore the Obexal database from a dump \(restore\)/, { since });
      await pause(300);
      const frame = lastFrame(pty);
      assert.ok(frame.length <= 24, `the menu is ${frame.length} lines high at 80x24:\n${frame.join('\n')}`);
      assert.equal(frame[0], 'obexal-runbook', 'the title is on screen');
      assert.match(frame[1] ?? '', /↑\/↓ move · Enter choose/, 'the key hint is on screen');
      assert.ok(
        frame.some((line) => line.startsWith('❯ Restore the Obexal database')),
        'the highlighted item is on screen',
      );
      assert.ok(
        frame.some((line) => /Fetch the dump, verify it in full/.test(line)),
        'its description is under it',
      );
      assert.ok(!frame.some((line) => /pg_dump in custom format/.test(line)), 'other descriptions are not shown');
      assert.ok(!pty.raw().includes(CLEAR_SCREEN), 'the menu never overflowed the screen (Ink clears it then)');

      // A change-window runbook asks once more, in words; No is highlighted.
      since = pty.mark();
      pty.write(keys.enter);
      await pty.waitFor('Start “Restore the Obexal database from a dump”?', { since });
      assert.match(pty.text().slice(since), /❯ No, back to the menu/);
      since = pty.mark();
      pty.write(keys.enter);
      await pty.waitFor(/❯ Restore the Obexal database from a dump \(restore\)/, { since });
      assert.doesNotMatch(pty.text(), /▶ Restore the Obexal database/, 'the restore did not start');

      // Up to Quit in one burst (restore → … → backup wraps to Quit) and Enter.
      since = pty.mark();
      pty.write(keys.up.repeat(9));
      await pty.waitFor('❯ Quit', { since });
      pty.write(keys.enter);
      assert.equal((await pty.waitForExit(20_000)).code, 0);
    });
  },
);

for (const [name, env] of [
  ['NO_COLOR=1', { NO_COLOR: '1' }],
  ['TERM=dumb', { TERM: 'dumb' }],
] as const) {
  test(`${name}: the menu draws no colour or style codes`, { timeout: 90_000 }, async () => {
    await withPty(
      COMMAND,
      { cwd: ROOT, cols: 100, rows: 30, env: { ...ENV, ...env }, timeoutMs: 60_000 },
      async (pty) => {
        await pty.waitFor('Quit');
        pty.write(keys.down);
        await pty.waitFor('❯ Restore drill');
        assert.doesNotMatch(pty.raw(), SGR, 'a colour or style code was drawn');
        pty.write(keys.ctrlC);
        await pty.waitForExit(20_000);
      },
    );
  });
}

test('without NO_COLOR the same menu is drawn in colour (the test above can fail)', { timeout: 90_000 }, async () => {
  await withPty(COMMAND, { cwd: ROOT, cols: 100, rows: 30, env: ENV, timeoutMs: 60_000 }, async (pty) => {
    await pty.waitFor('Quit');
    assert.match(pty.raw(), SGR);
    pty.write(keys.ctrlC);
    await pty.waitForExit(20_000);
  });
});

test(
  'Ctrl+C at a runbook\'s first question: "cancelled", exit 130, no --resume hint',
  { timeout: 90_000 },
  async () => {
    const env = { ...ENV, BACKUP_DIR: join(home, 'backups') };
    await withPty(`${COMMAND} retention`, { cwd: ROOT, cols: 100, rows: 30, env, timeoutMs: 60_000 }, async (pty) => {
      await pty.waitFor('What should retention do?');
      assert.match(pty.text(), /↑\/↓ move · Enter choose · Ctrl\+C stop the run/, 'the prompt names its keys');
      const since = pty.mark();
      pty.write(keys.ctrlC);
      await pty.waitFor(/retention cancelled/, { since });
      const summary = pty.text().slice(since);
      assert.match(summary, /nothing was done, nothing to resume/);
      assert.doesNotMatch(summary, /failed|exit 1 |--resume/);
      assert.equal((await pty.waitForExit(20_000)).code, 130);
    });
  },
);
