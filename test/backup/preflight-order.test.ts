/**
 * The backup preflight starts its checks together (recipients, BACKUP_DIR, the database, `pg_dump --version`) but
 * reports a failure as when they ran one after the other: a missing recipient is said before a database that does
 * not answer, and a database that does not answer before anything about pg_dump.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { runCli, testHome } from '../helpers/cli.js';
import { ageIdentity, removeTempDirs, tempDir } from './helpers.js';

after(() => removeTempDirs());

test('no recipient and a database that does not answer: the recipients are reported (exit 2)', async () => {
  const home = testHome('obexal-preflight-order-');
  const port = await freeLoopbackPort();
  const result = await runCli(['backup', '--yes'], {
    ...home.env,
    DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/obexal`,
    RETENTION_DAYS: '14',
  });
  assert.equal(result.exitCode, 2, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, /no age recipient is configured/);
  assert.doesNotMatch(result.stdout + result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
});

test('a database that does not answer and no pg_dump on PATH: the database is reported', async () => {
  const home = testHome('obexal-preflight-order-');
  const port = await freeLoopbackPort();
  const identity = ageIdentity(tempDir('obexal-preflight-order-keys-'));
  const result = await runCli(['backup', '--yes'], {
    ...home.env,
    DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/obexal`,
    RETENTION_DAYS: '14',
    BACKUP_RECIPIENTS: identity.recipient,
    // node is found by its absolute path; the preflight's PATH has no pg_dump
    PATH: '/nonexistent',
  });
  assert.equal(result.exitCode, 1, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, new RegExp(`${port}`));
  assert.doesNotMatch(result.stdout + result.stderr, /pg_dump \d+ or newer was not found/);
});
