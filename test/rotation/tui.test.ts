/**
 * A full ENCRYPTION_KEY rotation in the TUI: the real executable in a pseudo-terminal against the practice
 * sandbox. The operator chooses a generated key, names the eras, sees the new key once (and stores it in the
 * vault), ticks the two deployment checklist items; the run ends with every secret under the new key, the live
 * service running without ENCRYPTION_KEY_OLD, two eras in the register, a signed record, and the key in neither
 * the journal nor the record.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import { parseEncryptionKey } from '../../src/keys/secret-value.js';
import {
  deployment,
  localRegister,
  readRecord,
  startSandbox,
  valuesUnder,
  verifyRecord,
  type Sandbox,
} from './fixture.js';

async function answer(pty: PtySession, prompt: string | RegExp, typed: string, timeoutMs = 180_000): Promise<string> {
  const screen = await pty.waitFor(prompt, { since: 0, timeoutMs });
  const since = pty.mark();
  if (typed) {
    pty.write(typed);
    await pty.waitFor(/[\s\S]/, { since, timeoutMs: 5_000 }).catch(() => undefined);
  }
  pty.write(keys.enter);
  await pty.waitFor(/[\s\S]/, { since: pty.mark() - 1, timeoutMs: 5_000 }).catch(() => undefined);
  return screen;
}

async function tick(pty: PtySession, item: string): Promise<void> {
  const since = pty.mark();
  await pty.waitFor(`☐ ${item}`, { since: Math.max(0, since - 2_000), timeoutMs: 300_000 });
  pty.write(keys.enter);
  await pty.waitFor('Note (optional', { since });
  pty.write(keys.enter);
}

describe('key rotation in the TUI', { timeout: 900_000 }, () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox();
  });
  after(async () => sandbox?.stop());

  it('generated key shown once, checklist ticked, secrets under the new key, two eras, signed record, exit 0', async () => {
    const oldKey = sandbox.env.ENCRYPTION_KEY as string;
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} key-rotation`;
    await withPty(command, { cwd: ROOT, cols: 160, rows: 50, timeoutMs: 120_000, env: sandbox.env }, async (pty) => {
      await answer(pty, 'Where does the new ENCRYPTION_KEY come from', ''); // generate: the first option
      await answer(pty, 'Rotate the OIDC signing keys too', ''); // no: the first option
      await answer(pty, 'Label of the new key era', 'era-2');
      const shown = await pty.waitFor(/shown only this once[\s\S]*?•\s+([A-Za-z0-9+/]{43}=)/, {
        since: 0,
        timeoutMs: 300_000,
      });
      const newKey = /shown only this once[\s\S]*?•\s+([A-Za-z0-9+/]{43}=)/.exec(shown)?.[1] as string;
      assert.equal(parseEncryptionKey(newKey).length, 32, 'the generated key is 32 bytes of base64');
      // The operator stores it in the vault (the tool then checks the vault returns it), and types "stored".
      await sandbox.stack.vault.writeKey('era-2', newKey);
      await answer(pty, 'Type', 'stored');
      await tick(pty, "In the deployment's environment (.env.prod)");
      await tick(pty, "In the deployment's environment: ENCRYPTION_KEY_OLD removed");
      await pty.waitFor(/signature verified|record could not|exit [1-9]\d* \(/, { timeoutMs: 600_000 });
      const screen = pty.text();
      assert.match(screen, /key-rotation finished\s+exit 0 \(ok\)/, screen.slice(-4000));
      assert.match(screen, /new key for era "era-2" \(generated, shown once\)/);
      const recordPath = /record: (\S+\.json) ✔ signature verified/.exec(screen)?.[1];
      assert.ok(recordPath, screen.slice(-3000));
      assert.deepEqual(await pty.waitForExit(), { code: 0, signal: null });

      const census = await valuesUnder(sandbox, { new: newKey, old: oldKey });
      assert.ok(census.total > 100);
      assert.equal(census.new, census.total, 'every secret opens under the new key alone');
      const deployed = deployment(sandbox);
      assert.equal(deployed.ENCRYPTION_KEY, newKey);
      assert.equal(deployed.ENCRYPTION_KEY_OLD, '', 'the live service runs without ENCRYPTION_KEY_OLD');
      const register = localRegister(sandbox);
      assert.deepEqual(
        register.eras.map((e) => [e.label, e.end === null]),
        [
          ['era-1', false],
          ['era-2', true],
        ],
      );
      assert.equal(register.eras[1]?.fingerprint, keyFingerprint(parseEncryptionKey(newKey)));
      assert.ok(register.eras[0]?.keepKeyUntil, 'the old era says until when its key stays in the vault');

      const record = readRecord(recordPath);
      assert.equal(record.outcome, 'ok');
      for (const id of [
        'restart-both',
        'reencrypt',
        'restart-new',
        'check-jwks',
        'check-login',
        'check-mfa',
        'check-me',
        'close-era',
      ]) {
        assert.equal(record.steps.find((s) => s.id === id)?.outcome, 'ok', `${id} passed`);
      }
      assert.equal(
        record.steps.find((s) => s.id === 'new-key')?.data?.vault,
        'checked: the vault returns it',
        'the tool checked the vault holds the shown key',
      );
      const verdict = await verifyRecord(sandbox, recordPath);
      assert.equal(verdict.status, 0, verdict.output);
      const runId = (record as unknown as { runId: string }).runId;
      const journal = readFileSync(
        join(sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string, 'runs', `${runId}.jsonl`),
        'utf8',
      );
      for (const [what, text] of [
        ['record', readFileSync(recordPath, 'utf8')],
        ['journal', journal],
      ] as const) {
        assert.ok(!text.includes(newKey), `the new key is not in the ${what}`);
        assert.ok(!text.includes(oldKey), `the old key is not in the ${what}`);
      }
    });
  });
});
