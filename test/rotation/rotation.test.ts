/**
 * A full ENCRYPTION_KEY rotation headless against the practice sandbox, through the real executable: every secret
 * ends under the new key alone, the live auth-service (really restarted through APP_STOP/START_COMMAND) passes the
 * drill's checks without ENCRYPTION_KEY_OLD, the register holds two eras (the old one closed with the date its key
 * stays in the vault), the signed record verifies with ssh-keygen, no key leaks into the output, the journal or the
 * record; then a drill of the pre-rotation dump goes through key-era selection and re-encryption.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import { parseEncryptionKey } from '../../src/keys/secret-value.js';
import {
  bucketRegister,
  cli,
  deployment,
  localRegister,
  readRecord,
  recordPathOf,
  ROTATION_ANSWERS,
  runIdOf,
  startSandbox,
  valuesUnder,
  verifyRecord,
  writeAnswers,
  type Sandbox,
} from './fixture.js';

describe('key rotation, headless, end to end', () => {
  let sandbox: Sandbox;
  let oldKey: string;
  const newKey = generateEncryptionKey();
  let result: Awaited<ReturnType<typeof cli>>;

  before(async () => {
    sandbox = await startSandbox();
    oldKey = sandbox.env.ENCRYPTION_KEY as string;
    // The operator put the new key in the vault before the change window (headless takes it from there).
    await sandbox.stack.vault.writeKey('era-2', newKey);
    const answers = writeAnswers(sandbox, 'rotation.yaml', { ...ROTATION_ANSWERS, 'era-label': 'era-1' });
    result = await cli(sandbox, ['key-rotation', '--yes', '--answers', answers]);
  });
  after(async () => sandbox?.stop());

  test('the run succeeds and every secret is under the new key alone', async () => {
    assert.equal(result.exitCode, 0, `${result.stdout.slice(-6000)}\n${result.stderr}`);
    const census = await valuesUnder(sandbox, { new: newKey, old: oldKey });
    assert.ok(census.total > 100, `the sandbox holds encrypted values (${census.total})`);
    assert.equal(census.new, census.total, 'every value opens under the new key');
    assert.equal(census.old ?? 0, 0);
    assert.equal(census.none, 0);
  });

  test('the live auth-service runs with the new key alone and passed the four checks', async () => {
    const deployed = deployment(sandbox);
    assert.equal(deployed.ENCRYPTION_KEY, newKey, 'the service was started with the new key');
    assert.equal(deployed.ENCRYPTION_KEY_OLD, '', 'and without ENCRYPTION_KEY_OLD');
    const jwks = await fetch(`${sandbox.env.AUTH_SERVICE_URL}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200);
    const record = readRecord(recordPathOf(result.stdout));
    for (const id of [
      'restart-both',
      'reencrypt',
      'restart-new',
      'check-jwks',
      'check-login',
      'check-mfa',
      'check-me',
    ]) {
      assert.equal(record.steps.find((s) => s.id === id)?.outcome, 'ok', `${id} passed`);
    }
  });

  test('two eras in the register (bucket and local): the old one closed with keepKeyUntil from the pre-rotation pin', async () => {
    const register = await bucketRegister(sandbox);
    assert.deepEqual(localRegister(sandbox), register, 'the local copy is the bucket copy');
    assert.equal(register.eras.length, 2);
    const [first, second] = register.eras;
    assert.equal(first?.label, 'era-1');
    assert.equal(first?.fingerprint, keyFingerprint(parseEncryptionKey(oldKey)));
    assert.ok(first?.end, 'era-1 is closed');
    assert.equal(second?.label, 'era-2');
    assert.equal(second?.fingerprint, keyFingerprint(parseEncryptionKey(newKey)));
    assert.equal(second?.end, null, 'era-2 is open');
    assert.ok(Date.parse(second!.start) <= Date.parse(first!.end!), 'both eras were open during the rotation');
    const backups = sandbox.env.BACKUP_DIR as string;
    const manifests = readdirSync(backups)
      .filter((n) => n.endsWith('.manifest.json'))
      .map((n) => JSON.parse(readFileSync(join(backups, n), 'utf8')));
    const pre = manifests.find((m) => m.reason === 'pre-rotation');
    assert.ok(pre, 'a pre-rotation backup exists');
    assert.deepEqual(
      pre.keyEras.map((e: { label: string }) => e.label),
      ['era-1'],
    );
    assert.equal(pre.pin?.duration, '30d', 'the pre-rotation backup is pinned');
    assert.equal(
      first?.keepKeyUntil,
      pre.pin.until,
      'the old key is kept until the pin of the pre-rotation dump ends (later than end + 14 days)',
    );
    const post = manifests.find((m) => m.reason === 'manual');
    assert.deepEqual(
      post?.keyEras.map((e: { label: string }) => e.label),
      ['era-2'],
      'the post-rotation backup belongs to the new era',
    );
  });

  test('the record is signed, verifies outside the tool, and holds the register changes; no key leaks anywhere', async () => {
    const path = recordPathOf(result.stdout);
    const verdict = await verifyRecord(sandbox, path);
    assert.equal(verdict.status, 0, verdict.output);
    const record = readRecord(path);
    assert.equal(record.outcome, 'ok');
    assert.equal(record.details.keyEraOpened?.label, 'era-2');
    assert.equal(record.details.keyEraClosed?.label, 'era-1');
    assert.equal(record.details.rotation?.to, 'era-2');
    const runId = runIdOf('key-rotation', result.stdout);
    const journal = readFileSync(
      join(sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string, 'runs', `${runId}.jsonl`),
      'utf8',
    );
    for (const [what, text] of [
      ['stdout', result.stdout],
      ['stderr', result.stderr],
      ['record', readFileSync(path, 'utf8')],
      ['journal', journal],
    ] as const) {
      assert.ok(!text.includes(newKey), `the new key is not in the ${what}`);
      assert.ok(!text.includes(oldKey), `the old key is not in the ${what}`);
    }
  });

  test('a drill of the pre-rotation dump afterwards goes through key-era selection and passes', async () => {
    const backups = sandbox.env.BACKUP_DIR as string;
    const pre = readdirSync(backups)
      .filter((n) => n.endsWith('.manifest.json'))
      .map((n) => JSON.parse(readFileSync(join(backups, n), 'utf8')))
      .find((m) => m.reason === 'pre-rotation');
    const answers = writeAnswers(sandbox, 'drill.yaml', {
      'era-keys-in-vault': 'done',
      'sealed-identity-checked': 'done',
      'drill-account-only': 'done',
    });
    // The operator's environment now has the new key; the old era's key comes from the vault command.
    const drill = await cli(sandbox, ['drill', `bucket:${pre.dump.name}`, '--yes', '--answers', answers], {
      ENCRYPTION_KEY: newKey,
    });
    assert.equal(drill.exitCode, 0, `${drill.stdout.slice(-5000)}\n${drill.stderr}`);
    const record = readRecord(recordPathOf(drill.stdout));
    const keyEra = record.steps.find((s) => s.id === 'key-era');
    assert.equal(keyEra?.data?.dumpEra, 'era-1');
    assert.equal(keyEra?.data?.currentEra, 'era-2');
    assert.equal(keyEra?.data?.needsReencrypt, true);
    assert.equal(
      record.steps.find((s) => s.id === 'reencrypt')?.outcome,
      'ok',
      "the drill re-encrypted the old era's secrets",
    );
    for (const id of ['check-jwks', 'check-login', 'check-mfa', 'check-me'])
      assert.equal(record.steps.find((s) => s.id === id)?.outcome, 'ok', `drill ${id}`);
  });
});
