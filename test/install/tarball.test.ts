/**
 * The tarball an operator installs on a server: `npm pack` carries dist/ and runbooks/ and nothing of the tests,
 * benchmarks or sources; `npm install -g --omit=dev` of it into a scratch prefix needs no build step and no
 * development package (no TypeScript, tsx, esbuild, nor the sandbox's s3rver and argon2); the installed command
 * runs `--help`, `status` and a backup from outside the repository. A production `npm ci --omit=dev` beside a
 * built dist/ works too (no install script needs the compiler).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { execa } from 'execa';
import { SANDBOX_PACKAGES } from '../../src/cli/sandbox-requirements.js';
import { ROOT } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { assertDistCurrent } from '../helpers/dist.js';
import { tempDir } from '../helpers/temp.js';
import { checkServerCommands, runInstalled } from './server-commands.js';

const cluster = await withCluster();
const work = tempDir('obexal-install-');
let tarball: string;
let prefix: string;

async function npm(args: string[], cwd: string): Promise<string> {
  const result = await execa('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    reject: false,
    all: true,
    timeout: 300_000,
  });
  assert.equal(result.exitCode, 0, `npm ${args.join(' ')}:\n${result.all}`);
  return String(result.stdout);
}

before(async () => {
  assertDistCurrent();
  await npm(['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  const packed = readdirSync(work).find((name) => /^obexal-runbook-.*\.tgz$/.test(name));
  assert.ok(packed, 'npm pack made a tarball');
  tarball = join(work, packed);
  prefix = join(work, 'prefix');
  await npm(['install', '--global', '--prefix', prefix, '--omit=dev', tarball], work);
});

test('the tarball holds the compiled tool and its runbooks, nothing of tests, benchmarks or sources', async () => {
  const listing = (await execa('tar', ['-tzf', tarball])).stdout.split('\n');
  assert.ok(listing.includes('package/dist/cli/main.js'));
  assert.ok(listing.includes('package/runbooks/backup.yaml'));
  assert.ok(listing.includes('package/bin/obexal-runbook'));
  const unwanted = listing.filter(
    (path) => /^package\/(src|test|bench|scripts|docs)\//.test(path) || path.endsWith('.map'),
  );
  assert.deepEqual(unwanted, []);
});

test('a global production install has no development or sandbox package', () => {
  const installed = join(prefix, 'lib', 'node_modules', 'obexal-runbook');
  assert.ok(existsSync(join(prefix, 'bin', 'obexal-runbook')), 'the command is on the prefix bin folder');
  assert.equal(existsSync(join(installed, 'src')), false);
  for (const name of ['typescript', 'tsx', 'esbuild', ...Object.keys(SANDBOX_PACKAGES)]) {
    assert.equal(existsSync(join(installed, 'node_modules', name)), false, `${name} is not installed`);
  }
});

test('the sandbox packages named in the practice message are the optional peers of package.json', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  assert.deepEqual(manifest.peerDependencies, SANDBOX_PACKAGES);
});

test(
  'the installed command runs --help, status and a backup from outside the repository',
  { timeout: 300_000 },
  async () => {
    await checkServerCommands(
      { command: [join(prefix, 'bin', 'obexal-runbook')], cwd: work, path: [join(prefix, 'bin')] },
      cluster,
    );
  },
);

test('practice on a production install names the packages to add', async () => {
  const home = tempDir('obexal-install-practice-');
  const result = await runInstalled(
    { command: [join(prefix, 'bin', 'obexal-runbook')], cwd: work },
    ['practice', 'up', '--env-file', join(home, 'p.env')],
    { HOME: home },
  );
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /the practice sandbox needs s3rver and @node-rs\/argon2/);
  assert.match(result.stderr, /npm install -g s3rver@3\.7\.1 @node-rs\/argon2@2\.2\.1/);
});

test('npm ci --omit=dev beside a built dist/ installs without a compiler and runs', { timeout: 300_000 }, async () => {
  const tree = tempDir('obexal-install-ci-');
  for (const path of ['package.json', 'package-lock.json', 'bin', 'runbooks', 'dist'])
    cpSync(join(ROOT, path), join(tree, path), { recursive: true });
  await npm(['ci', '--omit=dev'], tree);
  assert.equal(existsSync(join(tree, 'node_modules', 'typescript')), false);
  const help = await runInstalled({ command: [join(tree, 'bin', 'obexal-runbook')], cwd: work }, ['--help'], {
    HOME: tree,
  });
  assert.equal(help.exitCode, 0, help.stderr);
});
