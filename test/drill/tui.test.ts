/**
 * The drill in the TUI, end to end: the real executable in a pseudo-terminal against the practice sandbox; the
 * operator ticks the checklist, the drill runs, the summary shows the record verified, exit 0, nothing left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';
import { leftovers, NOTHING_LEFT, readRecord, startDrillSandbox, type DrillSandbox } from './fixture.js';

async function press(pty: PtySession, keystroke: string): Promise<void> {
  const since = pty.mark();
  pty.write(keystroke);
  await pty.waitFor(/[\s\S]/, { since, timeoutMs: 5_000 }).catch(() => undefined);
}

describe('drill in the TUI', { timeout: 600_000 }, () => {
  let sandbox: DrillSandbox;
  before(async () => {
    sandbox = await startDrillSandbox();
  });
  after(async () => {
    await sandbox?.stop();
  });

  it('passes: the checklist ticked on screen, the four checks, the signed record, exit 0', async () => {
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} drill`;
    await withPty(command, { cwd: ROOT, cols: 140, rows: 50, timeoutMs: 120_000, env: sandbox.env }, async (pty) => {
      for (const item of ['The ENCRYPTION_KEY of every era', 'The sealed offline copy', 'The drill account is a dedicated']) {
        const since = pty.mark();
        await pty.waitFor(`☐ ${item}`, { since: Math.max(0, since - 2_000) });
        await press(pty, keys.enter);
        await pty.waitFor('Note (optional', { since });
        await press(pty, keys.enter);
      }
      await pty.waitFor(/signature verified|record could not|exit [1-9]\d* \(/);
      const screen = pty.text();
      assert.match(screen, /drill finished\s+exit 0 \(ok\)/, screen.slice(-3000));
      assert.match(screen, /Check 4: \/v1\/auth\/me returns the drill account/);
      assert.match(screen, /RTO \S+ \(target 30m: met\)/);
      const recordPath = /record: (\S+\.json) ✔ signature verified/.exec(screen)?.[1];
      assert.ok(recordPath, screen.slice(-3000));
      const record = readRecord(recordPath);
      assert.equal(record.mode, 'interactive');
      assert.equal(record.outcome, 'ok');
      assert.equal(record.details.drill?.rto.met, true);
      const runId = record.runId as string;
      assert.deepEqual(await pty.waitForExit(), { code: 0, signal: null });
      assert.deepEqual(await leftovers(sandbox, runId), NOTHING_LEFT);
      assert.ok(!pty.raw().includes(sandbox.env.DRILL_PASSWORD as string), 'the drill password reached the terminal');
    });
  });
});
