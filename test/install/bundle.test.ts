/**
 * The single-file build: `npm run bundle` into a folder outside the repository; the file runs with `node` alone
 * (no node_modules anywhere above it, no runbooks folder beside it) the same three commands as the installed
 * tarball, and refuses the practice sandbox with the way to get it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';
import { checkServerCommands, runInstalled, type Installed } from './server-commands.js';

const cluster = await withCluster();
const server = tempDir('obexal-bundle-');
const file = join(server, 'obexal-runbook.mjs');
// `node --`: Node reads `--env-file` even after the script's name (practice up --env-file), as bin/obexal-runbook notes.
const bundle: Installed = { command: [process.execPath, '--', file], cwd: server };

before(async () => {
  const built = await execa(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), server], {
    reject: false,
    all: true,
  });
  assert.equal(built.exitCode, 0, String(built.all));
});

test('the bundle is one JavaScript file: no runbooks folder, no node_modules', () => {
  assert.ok(existsSync(file));
  assert.deepEqual(readdirSync(server), ['obexal-runbook.mjs']);
});

test('the bundle runs --help, status and a backup with node alone', { timeout: 300_000 }, async () => {
  await checkServerCommands(bundle, cluster);
});

test('the bundle says the practice sandbox needs the package', async () => {
  const result = await runInstalled(bundle, ['practice', 'up', '--env-file', join(server, 'p.env')], { HOME: server });
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /not part of the single-file bundle/);
});
