/**
 * The `pitr` practice scenario (issue 15): `practice up --scenario pitr` archives the sandbox cluster's WAL to an
 * HTTPS repository bucket through the real pitr-setup runbook, takes a physical backup, then runs a bad migration
 * (every webhook deleted) and prints the time just before it. `restore --to <that time>` from the env file brings the
 * webhooks back; `practice down` leaves nothing. Without pgBackRest or openssl the scenario names the Debian packages.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { assertPitrProgramsInstalled } from '../../src/sandbox/practice/pitr-repository.js';
import { runCli, testHome, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

// A temp folder of our own (the practice state file lives in TMPDIR); 0755: the cluster's user must reach inside.
const TMP = mkdtempSync(join(tmpdir(), 'obexal-pitr-scenario-'));
chmodSync(TMP, 0o755);
// A HOME of its own: the practice state is kept per HOME, and other test files run practice at the same time.
const BASE_ENV = { TMPDIR: TMP, HOME: TMP };
after(() => rmSync(TMP, { recursive: true, force: true }));

const installed = (program: string) => ['/usr/bin', '/usr/local/bin'].some((dir) => existsSync(join(dir, program)));

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (match) env[match[1] as string] = (match[2] as string).replace(/'\\''/g, "'");
  }
  return env;
}

function refuses(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolvePromise) => {
    const socket = netConnect({ host: hostname === 'localhost' ? '127.0.0.1' : hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolvePromise(false)));
    socket.once('error', () => resolvePromise(true));
  });
}

const webhookCount = (env: Record<string, string>) =>
  withClient(parseConnectionString(env.DATABASE_URL!), async (client) =>
    Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM webhooks')).rows[0]?.n),
  );

const skip = installed('pgbackrest') && installed('openssl') ? false : 'pgbackrest or openssl is not installed';

describe('practice up --scenario pitr', { timeout: 1_500_000, skip }, () => {
  const home = testHome();
  const envFile = join(home.dir, 'practice.env');
  let up: CliResult;
  let env: Record<string, string> = {};
  before(async () => {
    const args = ['practice', 'up', '--env-file', envFile, '--scenario', 'pitr'];
    up = await runCli(args, BASE_ENV, { timeoutMs: 900_000 });
    if (existsSync(envFile)) env = parseEnvFile(readFileSync(envFile, 'utf8'));
  });
  after(async () => {
    await runCli(['practice', 'down'], BASE_ENV);
    rmSync(home.dir, { recursive: true, force: true });
  });

  test('WAL archived, backups, a bad migration; restore --to the printed time gives the rows back', async () => {
    assert.equal(up.exitCode, 0, `${up.stdout.slice(-5000)}\n${up.stderr.slice(-3000)}`);
    assert.match(up.stdout, /scenario pitr: pitr-setup runbook/, 'progress lines while the scenario is prepared');
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const header = readFileSync(envFile, 'utf8');
    const time = /try: CONFIRM=yes obexal-runbook restore --to (\S+)/.exec(header)?.[1];
    assert.ok(time, `the env file's header prints the time to restore to:\n${header.slice(0, 3000)}`);
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'a time as an operator would type it');
    const settings = [
      'PITR_S3_ENDPOINT',
      'PITR_S3_CA_FILE',
      'PITR_CONFIG_FILE',
      'PITR_CIPHER_PASS_COMMAND',
      'PITR_RESTART_COMMAND',
      'PITR_STANZA',
    ];
    for (const name of settings) {
      assert.ok(env[name], `${name} is in the env file`);
    }
    assert.match(env.PITR_S3_ENDPOINT!, /^https:\/\/localhost:\d+$/);
    const passphrase = readFileSync(JSON.parse(env.PITR_CIPHER_PASS_COMMAND!)[1] as string, 'utf8').trim();
    const printed = header + up.stdout + up.stderr;
    assert.ok(!printed.includes(passphrase), 'the repository passphrase is not printed');
    const deleted = Number(/DELETE FROM webhooks \((\d+) rows gone\)/.exec(header)?.[1]);
    assert.ok(deleted > 0, 'the bad migration deleted webhooks');
    assert.equal(await webhookCount(env), 0, 'no webhook is left after the bad migration');

    const restoreEnv = { ...BASE_ENV, ...env, CONFIRM: 'yes' };
    const restore = await runCli(['restore', '--to', time, '--yes'], restoreEnv, { timeoutMs: 600_000 });
    assert.equal(restore.exitCode, 0, `${restore.stdout.slice(-6000)}\n${restore.stderr.slice(-2000)}`);
    assert.equal(await webhookCount(env), deleted, 'every deleted webhook is back');
  });

  test('practice down stops the HTTPS repository with the rest and removes everything', async () => {
    const dir = join(env.BACKUP_DIR!, '..');
    const down = await runCli(['practice', 'down'], BASE_ENV);
    assert.equal(down.exitCode, 0, down.stderr);
    assert.equal(existsSync(dir), false, 'the sandbox folder is removed');
    const left = await execa('pgrep', ['-f', dir], { reject: false });
    assert.equal(String(left.stdout).trim(), '', 'no process of the sandbox remains');
    for (const url of [env.DATABASE_URL!, env.AUTH_SERVICE_URL!, env.S3_ENDPOINT!, env.PITR_S3_ENDPOINT!]) {
      assert.equal(await refuses(url), true, `nothing listens at ${new URL(url).host} any more`);
    }
  });
});

test('without pgbackrest or openssl on PATH the scenario refuses, naming the Debian packages', async () => {
  const empty = tempDir('obexal-empty-path-');
  const saved = process.env.PATH;
  process.env.PATH = empty;
  try {
    await assert.rejects(assertPitrProgramsInstalled(), (error: Error & { hint?: string }) => {
      assert.match(error.message, /needs `pgbackrest` and `openssl`, not found on PATH/);
      assert.match(error.hint ?? '', /apt-get install pgbackrest openssl/);
      return true;
    });
  } finally {
    process.env.PATH = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});

test('`practice up --scenario pitr` without them refuses before starting anything', { timeout: 120_000 }, async () => {
  const empty = tempDir('obexal-empty-path-');
  const home = testHome();
  const envFile = join(home.dir, 'practice.env');
  try {
    const args = ['practice', 'up', '--env-file', envFile, '--scenario', 'pitr'];
    const up = await runCli(args, { ...BASE_ENV, PATH: empty });
    assert.notEqual(up.exitCode, 0);
    assert.match(up.stderr, /apt-get install pgbackrest openssl/, up.stderr);
    assert.equal(existsSync(envFile), false, 'no env file: no sandbox was started');
  } finally {
    rmSync(empty, { recursive: true, force: true });
    rmSync(home.dir, { recursive: true, force: true });
  }
});
