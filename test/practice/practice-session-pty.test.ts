/**
 * A practice session in a pseudo-terminal with the real executable (issue 12): the sandbox starts with a verified
 * dump; a backup brings the menu back with the sandbox still up; a drill passes; a restore stopped in its copy
 * step (before the swap) says the database was not replaced; resumed from Recent runs, a stop dialog opened in the
 * copy step and left open follows the run past the swap (the swap itself, `apply`, is a rename: too quick to press
 * Ctrl+C in); the retention report is on screen in full; Quit removes everything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';

const home = mkdtempSync(join(tmpdir(), 'obexal-practice-home-'));
after(() => rmSync(home, { recursive: true, force: true }));

const SPINNER = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';
/** The swap's long step, the one an operator stops: the dump restored into a copy beside the database. */
const COPY = 'Swap: restore into a copy beside the database \\(production untouched\\)';
/**
 * The dialog about a step before the swap, named in its title: the copy step, or, on a loaded machine where the
 * copy of the small sandbox ended before the key arrived, one of the steps after it (all "Swap: …"; the swap
 * itself is "Restore (swap: …").
 */
const STOP_BEFORE_SWAP = /Stop “Swap: [^”]+” now\?/;

/** Presses `key` and waits for `expect` to appear after it. */
async function press(pty: PtySession, key: string, expect: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const since = pty.mark();
  pty.write(key);
  await pty.waitFor(expect, { since, timeoutMs });
  return pty.text().slice(since);
}

/** Ticks every checklist item "Done" with no note, until `until` appears. */
async function tickChecklist(pty: PtySession, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await pty.waitFor(/☐ [^\n]+\n[\s\S]*❯ Done/, { since: pty.mark() - 2_000, timeoutMs: 120_000 });
    await press(pty, keys.enter, 'Note (optional');
    await press(pty, keys.enter, /\[x\]|✔ done/);
  }
}

/** Types the confirmation token the prompt shows. */
async function confirmTarget(pty: PtySession, since: number): Promise<string> {
  const screen = await pty.waitFor(/Type\s+\S+:\d+\/\S+\s+to confirm/, { since, timeoutMs: 180_000 });
  const token = /Type\s+(\S+:\d+\/\S+)\s+to confirm/.exec(screen.slice(since))?.[1] as string;
  pty.write(token);
  await new Promise((resolve) => setTimeout(resolve, 200));
  pty.write(keys.enter);
  return token;
}

test(
  'practice: backup, menu back, drill, restore stopped before the swap, resumed past the swap, retention, Quit',
  { timeout: 900_000 },
  async () => {
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} practice; echo "status=$?"`;
    const env = { HOME: home, XDG_STATE_HOME: undefined };
    await withPty(
      `sh -c ${shellQuote(command)}`,
      { cwd: ROOT, cols: 120, rows: 40, env, timeoutMs: 120_000 },
      async (pty) => {
        await pty.waitFor('Quit', { timeoutMs: 240_000 });
        assert.match(
          pty.text(),
          /backup\s+obexal-\d{8}T\d{6}Z\.dump\.zst\.age \(verified/,
          'the sandbox starts with a verified dump',
        );
        assert.match(pty.text(), /Practice: your own sandbox/, 'the first start shows the tour');
        assert.match(pty.text(), /Enter choose \(digits do nothing\)/);

        // 1. Backup from the menu; the vault checklist; the menu comes back, cursor on Back up, sandbox still up.
        let since = pty.mark();
        pty.write(keys.enter);
        await tickChecklist(pty, 3);
        await pty.waitFor(/✔ backup finished/, { since, timeoutMs: 240_000 });
        await pty.waitFor(/❯ Back up the Obexal database/, { since: pty.mark() - 4_000 });
        assert.doesNotMatch(pty.text(), /Practice sandbox stopped/, 'the sandbox is still up after the run');

        // 2. Drill on the same sandbox.
        await press(pty, keys.down, /❯ Restore drill/);
        since = pty.mark();
        pty.write(keys.enter);
        await tickChecklist(pty, 3);
        await pty.waitFor(/✔ drill finished/, { since, timeoutMs: 300_000 });

        // 3. Restore: asks once more, then the dump, the typed target; Ctrl+C during the copy step; stop it.
        // (Below the drill: key-rotation, physical-backup, pitr-drill, pitr-restore, pitr-setup, reencrypt-secrets.)
        await press(pty, keys.down.repeat(7), /❯ Restore the Obexal database from a dump/);
        await press(pty, keys.enter, 'Start “Restore the Obexal database from a dump”?');
        await press(pty, keys.down, /❯ Yes, start restore now/);
        since = pty.mark();
        pty.write(keys.enter);
        await pty.waitFor(/\? .*[Dd]ump/, { since, timeoutMs: 120_000 });
        // A digit in the dump list chooses nothing (issue 12: `3` restored the third dump; the sandbox holds two
        // dumps here, so `1`, which names one in any case).
        const beforeDigit = pty.mark();
        pty.write('1');
        await new Promise((resolve) => setTimeout(resolve, 700));
        assert.doesNotMatch(pty.text().slice(beforeDigit), /✔ Choose the dump/, 'a digit chose a dump');
        await press(pty, keys.enter, /✔ Choose the dump/, 120_000);
        await confirmTarget(pty, since);
        await pty.waitFor(new RegExp(`${SPINNER} ${COPY}[\\s\\S]*before the swap`), { since, timeoutMs: 120_000 });
        let dialog = await press(pty, keys.ctrlC, STOP_BEFORE_SWAP);
        assert.match(dialog, /[Bb]efore the swap[,:] stopping (now )?drops the half-restored copy/);
        await press(pty, 'y', /What now\?|Retry it or stop/);
        since = pty.mark();
        pty.write(keys.enter); // "Stop the run" is highlighted
        await pty.waitFor(/restore interrupted/, { since, timeoutMs: 120_000 });
        const stopped = pty.text().slice(since);
        assert.match(
          stopped,
          /stopped before the swap: \S+\/obexal was not replaced/,
          'the summary names the database as not replaced',
        );
        assert.doesNotMatch(stopped, /restore failed|exit 1 /, 'a stop is not a failure');

        // 4. Resume it from Recent runs; Ctrl+C in the copy step, the dialog left open: it follows the run past the swap.
        await pty.waitFor(/❯ Restore the Obexal database from a dump/, { since });
        await press(pty, keys.down.repeat(3), /❯ Recent runs/);
        await press(pty, keys.enter, /restore {2}interrupted {2}\(Enter: resume\)/);
        await press(pty, keys.enter, /Start “Restore the Obexal database from a dump \(resume/);
        await press(pty, keys.down, /❯ Yes, start/);
        since = pty.mark();
        pty.write(keys.enter);
        await pty.waitFor(/resumed from/, { since, timeoutMs: 120_000 });
        // The resumed run offers the dump the earlier run had chosen first; Enter keeps it.
        await pty.waitFor(/❯ .*← the earlier run's/, { since, timeoutMs: 120_000 });
        pty.write(keys.enter);
        await confirmTarget(pty, since);
        await pty.waitFor(new RegExp(`${SPINNER} ${COPY}[\\s\\S]*before the swap`), {
          since: pty.mark() - 200,
          timeoutMs: 120_000,
        });
        dialog = await press(pty, keys.ctrlC, STOP_BEFORE_SWAP);
        assert.match(dialog, /║ {3}before the swap: stopping now drops the/);
        const passed = await pty.waitFor(/║ {3}after the swap: obexal is the restored database/, {
          since: pty.mark() - dialog.length,
          timeoutMs: 120_000,
        });
        assert.match(
          passed,
          /Stop “[^”]+” now\?[\s\S]*║ {3}after the swap: obexal is the restored database/,
          'the open dialog changed after the swap',
        );
        assert.doesNotMatch(
          passed.slice(passed.lastIndexOf('Stop “')),
          /Stop “Swap: restore into a copy/,
          'the dialog names the step it would stop now',
        );
        pty.write('n');
        await pty.waitFor(/✔ restore finished/, { since, timeoutMs: 300_000 });
        const restored = pty.text().slice(since);
        assert.match(
          restored,
          /What to keep from this run:[\s\S]*sessions are gone/,
          'what to do next is repeated in the summary',
        );
        assert.match(restored, /__before_/, 'the kept copy to drop is named');

        // 5. Retention report in full, GDPR paragraph on screen.
        await pty.waitFor(/❯ Recent runs/, { since });
        await press(pty, keys.up.repeat(2), /❯ Retention report/);
        since = pty.mark();
        pty.write(keys.enter);
        await pty.waitFor('What should retention do?', { since, timeoutMs: 120_000 });
        await press(pty, keys.enter, /retention finished/, 180_000);
        const report = pty.text().slice(since);
        assert.match(report, /GDPR \(record of processing, backups\):/);
        assert.match(report, /Personal data erased from Obexal today/);
        assert.match(report, /A restore of a backup brings erased accounts back/);

        // 6. Quit removes the sandbox.
        await pty.waitFor(/❯ Retention report/, { since });
        await press(pty, keys.down.repeat(5), /❯ Quit/);
        pty.write(keys.enter);
        await pty.waitFor('status=', { timeoutMs: 120_000 });
        assert.match(pty.text(), /Practice sandbox stopped and removed/);
        assert.match(pty.text(), /status=0/);
        if (process.env.PTY_DUMP) (await import('node:fs')).writeFileSync(process.env.PTY_DUMP, pty.text());
      },
    );
  },
);
