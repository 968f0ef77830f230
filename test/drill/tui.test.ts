/**
 * The drill in the TUI, end to end: the real executable in a pseudo-terminal against the practice sandbox; the
 * operator ticks the checklist, the drill runs, the summary shows the record verified and the history panel the
 * earlier drills and this one's RTO against them, exit 0, nothing left. Ctrl+C on the keyboard during the drill:
 * exit 130, the teardown leaves nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';
import {
  drill,
  leftovers,
  NOTHING_LEFT,
  readRecord,
  recordPathOf,
  startDrillSandbox,
  stepOf,
  type DrillSandbox,
} from './fixture.js';

async function press(pty: PtySession, keystroke: string): Promise<void> {
  const since = pty.mark();
  pty.write(keystroke);
  await pty.waitFor(/[\s\S]/, { since, timeoutMs: 5_000 }).catch(() => undefined);
}

async function tickChecklist(pty: PtySession): Promise<void> {
  for (const item of [
    'The ENCRYPTION_KEY of every era',
    'The sealed offline copy',
    'The drill account is a dedicated',
  ]) {
    const since = pty.mark();
    await pty.waitFor(`☐ ${item}`, { since: Math.max(0, since - 2_000) });
    await press(pty, keys.enter);
    await pty.waitFor('Note (optional', { since });
    await press(pty, keys.enter);
  }
}

describe('drill in the TUI', { timeout: 600_000 }, () => {
  let sandbox: DrillSandbox;
  before(async () => {
    sandbox = await startDrillSandbox();
  });
  after(async () => {
    await sandbox?.stop();
  });

  it('passes: the checklist ticked on screen, the four checks, the signed record, the history panel, exit 0', async () => {
    // An earlier (headless) drill, so that the panel has a history to show.
    const earlier = await drill(sandbox);
    assert.equal(earlier.exitCode, 0, earlier.stdout.slice(-3000));
    const earlierRto = readRecord(recordPathOf(earlier.stdout)).details.drill?.rto.ms;
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} drill`;
    await withPty(command, { cwd: ROOT, cols: 140, rows: 50, timeoutMs: 120_000, env: sandbox.env }, async (pty) => {
      await pty.waitFor(/Drill history/);
      assert.match(
        pty.text(),
        /RTO of the last 1 measured drill\(s\): [▁▂▃▄▅▆▇█]\s+trend: unknown \(one measured drill\)/,
      );
      assert.match(pty.text(), /next drill expected: ~\S+/);
      await tickChecklist(pty);
      await pty.waitFor(/signature verified|record could not|exit [1-9]\d* \(/);
      await pty.waitFor(/this drill: RTO/);
      const screen = pty.text();
      assert.match(screen, /this drill: RTO \S+( \S+)? \(target 30m: met\) · expected ~/);
      assert.match(screen, /drill finished\s+exit 0 \(ok\)/, screen.slice(-3000));
      assert.match(screen, /Check 4: \/v1\/auth\/me returns the drill account/);
      assert.match(screen, /RTO \S+ \(target 30m: met\)/);
      const recordPath = /record: (\S+\.json) ✔ signature verified/.exec(screen)?.[1];
      assert.ok(recordPath, screen.slice(-3000));
      const record = readRecord(recordPath);
      assert.equal(record.mode, 'interactive');
      assert.equal(record.outcome, 'ok');
      assert.equal(record.details.drill?.rto.met, true);
      assert.equal(
        record.details.drill?.rto.expectedMs,
        earlierRto,
        'one earlier drill: its RTO is what this one was expected to take',
      );
      const runId = record.runId as string;
      assert.deepEqual(await pty.waitForExit(), { code: 0, signal: null });
      assert.deepEqual(await leftovers(sandbox, runId), NOTHING_LEFT);
      assert.ok(!pty.raw().includes(sandbox.env.DRILL_PASSWORD as string), 'the drill password reached the terminal');
    });
  });

  it('Ctrl+C on the keyboard while the auth-service starts: exit 130, a signed record says interrupted, nothing left', async () => {
    // A service that takes its time to start (as a container does), so that Ctrl+C lands while it starts.
    const slowStart = JSON.stringify([
      'sh',
      '-c',
      'sleep 5; exec "$0" "$@"',
      process.execPath,
      `${ROOT}/bin/obexal-sandbox-auth-service`,
      'serve',
    ]);
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} drill`;
    await withPty(
      command,
      {
        cwd: ROOT,
        cols: 140,
        rows: 50,
        timeoutMs: 120_000,
        env: { ...sandbox.env, DRILL_AUTH_SERVICE_START: slowStart },
      },
      async (pty) => {
        await tickChecklist(pty);
        const since = pty.mark();
        // The step before it is skipped (no older key era); the pending list names the step from the start.
        await pty.waitFor(/↷ Re-encrypt secrets/, { since });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await pty.waitFor(/run (\S+) · interactive/);
        const runId = /run (\S+) · interactive/.exec(pty.text())?.[1] as string;
        // The first Ctrl+C interrupts the step (the UI then asks: retry or stop), the second stops the run.
        await press(pty, keys.ctrlC);
        await pty.waitFor(/was interrupted|interrupting/, { since });
        await press(pty, keys.ctrlC);
        const end = await pty.waitForExit();
        assert.equal(end.code, 130, pty.text().slice(-3000));
        const recordPath = /record: (\S+\.json)/.exec(pty.text())?.[1];
        assert.ok(recordPath, pty.text().slice(-3000));
        const record = readRecord(recordPath);
        assert.equal(record.outcome, 'interrupted');
        assert.equal(record.exitCode, 130);
        assert.equal(stepOf(record, 'start-service').outcome, 'interrupted');
        assert.equal(stepOf(record, 'teardown').outcome, 'ok');
        assert.deepEqual(await leftovers(sandbox, runId), NOTHING_LEFT);
      },
    );
  });
});
