import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli, testHome } from '../helpers/cli.js';

const BOOK = join(ROOT, 'test/fixtures/runbooks/destroy.yaml');
const TARGET = 'db.example:5432/obexal';
const URL = 'postgres://obexal@db.example:5432/obexal';

function destroyed(home: { env: Record<string, string> }): boolean {
  return existsSync(join(home.env.BACKUP_DIR!, 'destroyed'));
}

test('headless without CONFIRM=yes: exit 3, nothing changed', async () => {
  const home = testHome();
  const result = await runCli([BOOK], { ...home.env, DATABASE_URL: URL, RTO_TARGET: '0' });
  assert.equal(result.exitCode, 3);
  assert.match(result.stdout, /without CONFIRM=yes: nothing was changed/);
  assert.equal(destroyed(home), false);
});

test('--yes never confirms a destruction', async () => {
  const home = testHome();
  const result = await runCli([BOOK, '--yes'], { ...home.env, DATABASE_URL: URL, RTO_TARGET: '0' });
  assert.equal(result.exitCode, 3);
  assert.equal(destroyed(home), false);
});

test('CONFIRM=yes confirms a target this invocation named through DATABASE_URL', async () => {
  const home = testHome();
  const result = await runCli([BOOK], { ...home.env, DATABASE_URL: URL, CONFIRM: 'yes', RTO_TARGET: '0' });
  assert.equal(result.exitCode, 0, result.stdout);
  assert.equal(destroyed(home), true);
});

test('a CONFIRM_TARGET naming another database refuses even a target named through DATABASE_URL', async () => {
  const home = testHome();
  const env = { ...home.env, DATABASE_URL: URL, CONFIRM: 'yes', RTO_TARGET: '0' };
  const wrong = await runCli([BOOK], { ...env, CONFIRM_TARGET: 'staging.example:5432/obexal' });
  assert.equal(wrong.exitCode, 3, wrong.stdout);
  assert.match(
    wrong.stdout,
    /CONFIRM_TARGET=staging\.example:5432\/obexal does not match the target db\.example:5432\/obexal; nothing was changed/,
  );
  assert.equal(destroyed(home), false);
  const right = await runCli([BOOK], { ...env, CONFIRM_TARGET: TARGET });
  assert.equal(right.exitCode, 0, right.stdout);
  assert.equal(destroyed(home), true);
});

test('a target from the configuration file also needs CONFIRM_TARGET equal to it', async () => {
  const home = testHome();
  const saved = await runCli(['config', 'set', 'DATABASE_URL', URL], home.env);
  assert.equal(saved.exitCode, 0, saved.stderr);
  const env = { ...home.env, CONFIRM: 'yes', RTO_TARGET: '0' };
  const alone = await runCli([BOOK], env);
  assert.equal(alone.exitCode, 3);
  assert.match(alone.stdout, /comes from the configuration file/);
  const wrong = await runCli([BOOK], { ...env, CONFIRM_TARGET: 'db.example:5432/other' });
  assert.equal(wrong.exitCode, 3);
  assert.match(wrong.stdout, /does not match the target/);
  assert.equal(destroyed(home), false);
  const right = await runCli([BOOK], { ...env, CONFIRM_TARGET: TARGET });
  assert.equal(right.exitCode, 0, right.stdout);
  assert.equal(destroyed(home), true);
});

test('config refuses to persist a secret or a password', async () => {
  const home = testHome();
  const key = await runCli(['config', 'set', 'ENCRYPTION_KEY', 'x'.repeat(44)], home.env);
  assert.equal(key.exitCode, 2);
  assert.match(key.stderr, /never written to the configuration file/);
  const url = await runCli(['config', 'set', 'DATABASE_URL', 'postgres://u:hunter22@h/db'], home.env);
  assert.equal(url.exitCode, 2);
  assert.doesNotMatch(url.stderr, /hunter22/);
  const shown = await runCli(['config'], {
    ...home.env,
    ENCRYPTION_KEY: 'c2VjcmV0LWtleS12YWx1ZS0xMjM0NTY3ODkwMTIzNDU2',
    DATABASE_URL: 'postgres://u:hunter22@h/db',
  });
  assert.equal(shown.exitCode, 0);
  assert.match(shown.stdout, /ENCRYPTION_KEY\s+set\s+environment/);
  assert.doesNotMatch(shown.stdout, /hunter22|c2VjcmV0/);
  assert.match(shown.stdout, /BACKUP_DIR\s+\S+\s+environment/);
  assert.match(shown.stdout, /RETENTION_DAYS\s+14\s+default/);
});
