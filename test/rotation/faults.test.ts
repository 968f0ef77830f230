/**
 * A key rotation's bad input and faults, headless against the practice sandbox: a new key that is not 32 bytes of
 * base64 is refused (nothing changed in the register); a generated key headless is refused (exit 3: nobody to show
 * it to); a start command that fails stops the run, which says the rotation is half done and how to continue or go
 * back, and `--resume` finishes it; a reencrypt-secrets that fails is finished by the resumed run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import {
  cli,
  deployment,
  localRegister,
  ROTATION_ANSWERS,
  runIdOf,
  startSandbox,
  valuesUnder,
  writeAnswers,
  type Sandbox,
} from './fixture.js';

describe('key rotation faults', () => {
  let sandbox: Sandbox;
  let answers: string;
  const newKey = generateEncryptionKey();

  before(async () => {
    sandbox = await startSandbox();
    answers = writeAnswers(sandbox, 'rotation.yaml', { ...ROTATION_ANSWERS, 'era-label': 'era-1' });
  });
  after(async () => sandbox?.stop());

  test('a new key that is not 32 bytes of base64 is refused; the register is unchanged', async () => {
    await sandbox.stack.vault.writeKey('era-2', Buffer.alloc(16, 7).toString('base64'));
    const result = await cli(sandbox, ['key-rotation', '--yes', '--answers', answers]);
    assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
    assert.match(result.stdout, /new key of era "era-2" was refused: .*decodes to 16 bytes, not 32/);
    const register = localRegister(sandbox);
    assert.deepEqual(
      register.eras.map((e) => [e.label, e.end]),
      [['era-1', null]],
      'no era was opened',
    );
  });

  test('headless, a generated key is refused before anything changes (exit 3)', async () => {
    const generate = writeAnswers(sandbox, 'generate.yaml', { ...ROTATION_ANSWERS, 'key-source': 'generate' });
    const result = await cli(sandbox, ['key-rotation', '--yes', '--answers', generate]);
    assert.equal(result.exitCode, 3, result.stdout.slice(-3000));
    assert.match(result.stdout, /a generated key must be shown to a person/);
    assert.equal(localRegister(sandbox).eras.length, 1);
  });

  test('a failing start command stops the run half done, says how to continue or go back; --resume finishes', async () => {
    await sandbox.stack.vault.writeKey('era-2', newKey);
    const failingStart = JSON.stringify(['sh', '-c', 'echo "auth-service: port 8080 already in use" >&2; exit 3']);
    const failed = await cli(sandbox, ['key-rotation', '--yes', '--answers', answers], {
      APP_START_COMMAND: failingStart,
    });
    assert.equal(failed.exitCode, 1, failed.stdout.slice(-4000));
    const runId = runIdOf('key-rotation', failed.stdout);
    assert.match(failed.stdout, /x restart-both: FAILED/);
    assert.match(failed.stdout, /port 8080 already in use/);
    assert.match(failed.stdout, /HALF DONE: era "era-2" is open beside era "era-1"/);
    assert.ok(failed.stdout.includes(`obexal-runbook key-rotation --resume ${runId}`), 'it says how to continue');
    assert.match(failed.stdout, /To go back instead: start the auth-service with ENCRYPTION_KEY = the key of "era-1"/);
    assert.deepEqual(
      localRegister(sandbox).eras.map((e) => [e.label, e.end]),
      [
        ['era-1', null],
        ['era-2', null],
      ],
      'both eras open: under way',
    );
    await assert.rejects(
      fetch(`${sandbox.env.AUTH_SERVICE_URL}/.well-known/jwks.json`),
      'the auth-service was stopped',
    );

    const resumed = await cli(sandbox, ['key-rotation', '--yes', '--answers', answers, '--resume', runId]);
    assert.equal(resumed.exitCode, 0, `${resumed.stdout.slice(-6000)}\n${resumed.stderr}`);
    assert.match(resumed.stdout, /\(resumed\)/);
    assert.match(
      resumed.stdout,
      /\+ pre-dump: ok in 0ms: done in the earlier run/,
      'the pre-rotation backup is not taken again',
    );
    assert.match(resumed.stdout, /continuing: the key of era "era-2" is held/);
    const register = localRegister(sandbox);
    assert.ok(register.eras[0]?.end && register.eras[0].keepKeyUntil, 'era-1 closed');
    assert.equal(register.eras[1]?.end, null);
    assert.equal(deployment(sandbox).ENCRYPTION_KEY_OLD, '');
    const census = await valuesUnder(sandbox, { new: newKey });
    assert.equal(census.new, census.total);
  });

  test('a reencrypt-secrets that fails midway is finished by the resumed run', async () => {
    const third = generateEncryptionKey();
    await sandbox.stack.vault.writeKey('era-3', third);
    const rotateAgain = writeAnswers(sandbox, 'rotation-3.yaml', { ...ROTATION_ANSWERS, era: 'era-3' });
    const env = { ENCRYPTION_KEY: newKey };
    const broken = JSON.stringify(['sh', '-c', 'echo "reencrypt-secrets: connection reset after batch 1" >&2; exit 1']);
    const failed = await cli(sandbox, ['key-rotation', '--yes', '--answers', rotateAgain], {
      ...env,
      AUTH_SERVICE_EXEC: broken,
    });
    assert.equal(failed.exitCode, 1, failed.stdout.slice(-4000));
    assert.match(failed.stdout, /x reencrypt: FAILED/);
    assert.match(failed.stdout, /reencrypt-secrets is idempotent/);
    const runId = runIdOf('key-rotation', failed.stdout);
    const resumed = await cli(sandbox, ['key-rotation', '--yes', '--answers', rotateAgain, '--resume', runId], env);
    assert.equal(resumed.exitCode, 0, `${resumed.stdout.slice(-6000)}\n${resumed.stderr}`);
    const census = await valuesUnder(sandbox, { third });
    assert.equal(census.third, census.total, 'every value under the key of era-3');
    assert.deepEqual(
      localRegister(sandbox).eras.map((e) => [e.label, e.end === null]),
      [
        ['era-1', false],
        ['era-2', false],
        ['era-3', true],
      ],
    );
  });
});
