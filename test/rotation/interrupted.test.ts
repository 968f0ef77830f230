/**
 * reencrypt-secrets killed midway during a key rotation (SIGKILL right after its first batch is committed, through a
 * wrapper around the real sandbox command): the run stops, the database stays readable with both keys (nothing
 * lost, the live service keeps answering), and running the rotation again, a plain re-run without --resume,
 * continues the rotation under way from the key-era register and finishes it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import {
  cli,
  localRegister,
  ROTATION_ANSWERS,
  startSandbox,
  valuesUnder,
  writeAnswers,
  type Sandbox,
} from './fixture.js';

const KILL_AFTER_FIRST_BATCH = `
import { spawn } from 'node:child_process';
const [command, ...args] = process.argv.slice(2);
// The sandbox pauses after each batch (REENCRYPT_PAUSE_AFTER_BATCH_MS): the kill lands between two batches.
const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REENCRYPT_PAUSE_AFTER_BATCH_MS: '5000' } });
let killed = false;
const pass = (to) => (chunk) => {
  to.write(chunk);
  if (!killed && /re-encrypted/.test(String(chunk))) {
    killed = true;
    child.kill('SIGKILL');
    process.stderr.write('reencrypt-secrets: killed after its first batch\\n');
  }
};
child.stdout.on('data', pass(process.stdout));
child.stderr.on('data', pass(process.stderr));
child.on('exit', (code) => process.exit(killed ? 137 : (code ?? 1)));
`;

describe('key rotation: reencrypt-secrets interrupted, then run again', { timeout: 900_000 }, () => {
  let sandbox: Sandbox;
  let oldKey: string;
  const newKey = generateEncryptionKey();
  let answers: string;

  before(async () => {
    sandbox = await startSandbox();
    oldKey = sandbox.env.ENCRYPTION_KEY as string;
    await sandbox.stack.vault.writeKey('era-2', newKey);
    answers = writeAnswers(sandbox, 'rotation.yaml', { ...ROTATION_ANSWERS, 'era-label': 'era-1' });
  });
  after(async () => sandbox?.stop());

  test('killed midway: the run fails, nothing is lost, the service still answers; a plain re-run finishes the rotation', async () => {
    const wrapper = join(sandbox.stack.dir, 'kill-after-first-batch.mjs');
    writeFileSync(wrapper, KILL_AFTER_FIRST_BATCH);
    const exec = JSON.parse(sandbox.env.AUTH_SERVICE_EXEC as string) as string[];
    const killing = JSON.stringify([process.execPath, wrapper, ...exec]);
    const failed = await cli(sandbox, ['key-rotation', '--yes', '--answers', answers], { AUTH_SERVICE_EXEC: killing });
    assert.equal(failed.exitCode, 1, failed.stdout.slice(-4000));
    assert.match(failed.stdout, /killed after its first batch/);
    assert.match(failed.stdout, /x reencrypt: FAILED/);
    assert.match(failed.stdout, /reencrypt-secrets is idempotent/);

    const midway = await valuesUnder(sandbox, { new: newKey, old: oldKey });
    assert.equal(midway.none, 0, 'every value still opens under one of the two keys');
    assert.ok((midway.new ?? 0) > 0, `the first batch was committed (${JSON.stringify(midway)})`);
    const jwks = await fetch(`${sandbox.env.AUTH_SERVICE_URL}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200, 'the service, started with both keys, keeps answering');
    assert.deepEqual(
      localRegister(sandbox).eras.map((e) => [e.label, e.end]),
      [
        ['era-1', null],
        ['era-2', null],
      ],
      'the rotation is under way',
    );

    const again = await cli(sandbox, ['key-rotation', '--yes', '--answers', answers]);
    assert.equal(again.exitCode, 0, `${again.stdout.slice(-6000)}\n${again.stderr}`);
    assert.match(again.stdout, /a rotation is under way: era "era-2"/);
    assert.match(again.stdout, /- pre-dump: skipped/, 'the pre-rotation backup is not taken again');
    const done = await valuesUnder(sandbox, { new: newKey, old: oldKey });
    assert.equal(done.new, done.total, 'every value under the new key');
    const register = localRegister(sandbox);
    assert.deepEqual(
      register.eras.map((e) => [e.label, e.end === null]),
      [
        ['era-1', false],
        ['era-2', true],
      ],
    );
  });
});
