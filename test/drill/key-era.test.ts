/**
 * A drill of a dump from an older key era. After a backup in the first era, the sandbox rotates its key as an
 * operator would (new key in the vault, production re-encrypted by the auth-service's reencrypt-secrets, the
 * register's first era closed and the second opened); the drill then runs with the new ENCRYPTION_KEY only and
 * must fetch the old era's key through ENCRYPTION_KEY_COMMAND (the practice vault), run reencrypt-secrets on the
 * drill database, and start the service with the current key alone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addEra, closeEra } from '../../src/eras/register.js';
import { readLocalRegister, writeRegister } from '../../src/eras/store.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { ROOT } from '../helpers/cli.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import {
  drill,
  leftovers,
  NOTHING_LEFT,
  readRecord,
  recordPathOf,
  runIdOf,
  startDrillSandbox,
  stepOf,
  type DrillSandbox,
} from './fixture.js';

const NEW_ERA = 'era-next';

/** Rotates the sandbox's key: returns the new key and the old era's label. */
async function rotateKey(sandbox: DrillSandbox): Promise<{ newKey: string; oldEra: string }> {
  const { env, stack } = sandbox;
  const backupDir = env.BACKUP_DIR as string;
  const register = await readLocalRegister(backupDir);
  const open = register?.eras.find((e) => e.end === null);
  assert.ok(register && open, 'the backup created the key-era register');
  const oldKey = env.ENCRYPTION_KEY as string;
  const newKey = generateEncryptionKey();
  await stack.vault.writeKey(open.label, oldKey);
  await stack.vault.writeKey(NEW_ERA, newKey);
  execFileSync(process.execPath, [join(ROOT, 'bin', 'obexal-sandbox-auth-service'), 'reencrypt-secrets'], {
    env: { PATH: process.env.PATH, DATABASE_URL: env.DATABASE_URL, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_OLD: oldKey },
    stdio: 'ignore',
  });
  const now = new Date().toISOString();
  const keepUntil = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const next = addEra(closeEra(register, open.label, now, keepUntil), {
    label: NEW_ERA,
    fingerprint: keyFingerprint(parseEncryptionKey(newKey)),
    start: now,
  });
  // The bucket copy is the one a restore reads first; the AWS SDK takes the s3rver credentials from our environment.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
  });
  const written = await writeRegister(next, { backupDir, s3: s3SettingsFromEnv(env) });
  assert.ok(typeof written.bucket === 'object' && 'written' in written.bucket, JSON.stringify(written.bucket));
  return { newKey, oldEra: open.label };
}

describe('drill of a dump from an older key era', { timeout: 600_000 }, () => {
  let sandbox: DrillSandbox;
  let rotated: { newKey: string; oldEra: string };
  before(async () => {
    sandbox = await startDrillSandbox();
    rotated = await rotateKey(sandbox);
  });
  after(async () => {
    await sandbox?.stop();
  });

  it("passes: the old era's key from the vault command, reencrypt-secrets on the drill database, the service on the new key alone", async () => {
    const oldKey = sandbox.env.ENCRYPTION_KEY as string;
    const result = await drill(sandbox, [], { ENCRYPTION_KEY: rotated.newKey });
    assert.equal(result.exitCode, 0, result.stdout.slice(-5000));
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.outcome, 'ok');
    const keyEra = stepOf(record, 'key-era');
    assert.equal(keyEra.outcome, 'ok');
    assert.equal(keyEra.data?.needsReencrypt, true);
    assert.equal(keyEra.data?.dumpEra, rotated.oldEra);
    assert.equal(keyEra.data?.currentEra, NEW_ERA);
    assert.match(JSON.stringify(keyEra.data?.keys), new RegExp(`ENCRYPTION_KEY_COMMAND \\(era ${rotated.oldEra}\\)`));
    const reencrypt = stepOf(record, 'reencrypt');
    assert.equal(reencrypt.outcome, 'ok', reencrypt.message);
    assert.match(reencrypt.message ?? '', /open under ENCRYPTION_KEY alone/);
    assert.deepEqual(record.details.drill?.keyEra && { ...record.details.drill.keyEra, keys: undefined }, {
      dump: rotated.oldEra,
      current: NEW_ERA,
      needsReencrypt: true,
      keys: undefined,
      reencryptSecrets: 'ok',
    });
    assert.equal((record.details.authService as { keys: string }).keys, 'ENCRYPTION_KEY only');
    assert.deepEqual(record.details.drill?.failedChecks, []);
    assert.equal(record.details.drill?.rto.met, true);
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
    const findings = scanForSecrets(
      [`${sandbox.env.BACKUP_DIR}/records`, sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string],
      [oldKey, rotated.newKey],
      { stdout: result.stdout, stderr: result.stderr },
    );
    assert.deepEqual(findings, []);
  });

  it("fails before creating anything when the old era's key is not in the vault", async () => {
    rmSync(sandbox.stack.vault.keyFile(rotated.oldEra));
    const result = await drill(sandbox, [], { ENCRYPTION_KEY: rotated.newKey });
    assert.notEqual(result.exitCode, 0, result.stdout.slice(-3000));
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(stepOf(record, 'key-era').outcome, 'failed');
    assert.equal(stepOf(record, 'database').outcome, 'not-run');
    assert.match(record.message ?? '', /ENCRYPTION_KEY_COMMAND/);
    assert.deepEqual(await leftovers(sandbox, runIdOf(result.stdout)), NOTHING_LEFT);
  });
});
