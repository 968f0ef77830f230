/**
 * `requires:` (runbooks/key-rotation.yaml): the settings the rotation cannot run without, checked before the first
 * step with one error naming every missing one, and listed by --dry-run with whether each is set. Through the real
 * executable (npm run build first).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadRunbookFile } from '../../src/engine/load-runbook.js';
import { actionCatalogue } from '../../src/cli/action-catalogue.js';
import { runCli, testHome } from '../helpers/cli.js';

const NAMED = ['DATABASE_URL', 'APP_STOP_COMMAND', 'APP_START_COMMAND', 'AUTH_SERVICE_URL', 'DRILL_EMAIL'];

test('the rotation names its required settings in YAML', async () => {
  const book = await loadRunbookFile('runbooks/key-rotation.yaml', actionCatalogue());
  assert.deepEqual(
    book.requires.map((r) => r.setting),
    ['DATABASE_URL', 'BACKUP_DIR', ...NAMED.slice(1)],
  );
});

test('a rotation with settings missing fails before its first step, naming every one (exit 2)', async () => {
  const home = testHome('obexal-requires-');
  const result = await runCli(['key-rotation', '--yes'], home.env);
  assert.equal(result.exitCode, 2, result.stdout + result.stderr);
  const failed = /FAILED \(exit 2\)[^\n]*: the key-rotation runbook needs ([^:]+): nothing was changed/.exec(
    result.stdout,
  );
  assert.ok(failed, result.stdout);
  assert.deepEqual(failed[1]?.split(', '), NAMED, 'BACKUP_DIR is set; the five others are named');
  assert.match(result.stdout, /set APP_STOP_COMMAND: the command that stops the auth-service/);
  assert.doesNotMatch(result.stdout, /> preflight:/, 'no step started');
});

test('--dry-run lists each requirement, set or missing', async () => {
  const home = testHome('obexal-requires-');
  const result = await runCli(['key-rotation', '--dry-run', '--verbose'], home.env);
  assert.match(result.stdout, /requires BACKUP_DIR \(set\): the rotation takes a backup before and after/);
  for (const name of NAMED) assert.match(result.stdout, new RegExp(`requires ${name} \\(MISSING\\)`));
});
