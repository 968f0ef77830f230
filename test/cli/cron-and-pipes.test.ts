/**
 * A headless run as cron and shell pipes see it, through the real executable: warnings and failures also on
 * stderr (so `>/dev/null` in a crontab still mails them), `--quiet`, and a reader that goes away
 * (`backup | head -1`): the run stops as on SIGTERM (exit 143), cleans up, releases its lock, leaves no `.partial`.
 * The key-era register is given as the other backup tests give it (ENCRYPTION_KEY and --yes on a first run).
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseConnectionString } from '../../src/pg/target.js';
import { ageIdentity, backupFiles, backupHome, removeTempDirs, tempDir, type TestIdentity } from '../backup/helpers.js';
import { BIN, runCli } from '../helpers/cli.js';
import { withCluster } from '../helpers/pg.js';
import { sandboxDatabase, type SandboxDatabase } from '../helpers/sandbox-db.js';

const cluster = await withCluster();
let db: SandboxDatabase;
let identity: TestIdentity;
let home: ReturnType<typeof backupHome>;

before(async () => {
  db = await sandboxDatabase(cluster, { prefix: 'pipes' });
  identity = ageIdentity(tempDir('obexal-pipes-keys-'));
  home = backupHome(db.url, identity.recipient, { ENCRYPTION_KEY: db.encryptionKey });
  const first = await runCli(['backup', '--yes'], home.env);
  assert.equal(first.exitCode, 0, first.stdout + first.stderr);
});

after(() => removeTempDirs());

/** Runs a shell line with the executable as $BIN and node as $NODE; prints `exit=<status of the first command>`. */
async function shell(
  line: string,
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string; status: number }> {
  const script = `${line}; echo "exit=\${PIPESTATUS[0]}"`;
  const result = await execa('bash', ['-c', script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NODE: process.execPath, BIN, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
  const stdout = String(result.stdout);
  const match = /exit=(\d+)\s*$/.exec(stdout);
  assert.ok(match, `no exit status in:\n${stdout}\n${String(result.stderr)}`);
  return { stdout: stdout.slice(0, match.index), stderr: String(result.stderr), status: Number(match[1]) };
}

function wrongPasswordUrl(): string {
  const target = parseConnectionString(db.url);
  return `postgres://${target.user}:Wr0ng-pipes-1@127.0.0.1:${target.port}/${target.database}`;
}

describe('cron: stdout to /dev/null', () => {
  it('a failure still reaches stderr, with what to do', async () => {
    const result = await shell('"$NODE" -- "$BIN" backup >/dev/null', {
      ...home.env,
      DATABASE_URL: wrongPasswordUrl(),
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /x preflight: FAILED/);
    assert.match(result.stderr, /run \S+ FAILED \(exit 1\)/);
    assert.match(result.stderr, /what to do: /);
  });

  it('a success prints nothing on stderr but warnings', async () => {
    const result = await shell('"$NODE" -- "$BIN" backup >/dev/null', home.env);
    assert.equal(result.status, 0, result.stderr);
    for (const line of result.stderr.split('\n').filter((l) => l !== '')) assert.match(line, /warning: /);
    assert.doesNotMatch(result.stderr, / OK \(exit 0\)/);
  });

  it('with stdout and stderr in one log (2>&1), nothing is printed twice', async () => {
    const result = await shell('"$NODE" -- "$BIN" backup 2>&1', { ...home.env, DATABASE_URL: wrongPasswordUrl() });
    assert.equal(result.status, 1);
    assert.equal(result.stdout.match(/x preflight: FAILED/g)?.length, 1, result.stdout);
  });
});

describe('--quiet', () => {
  it('prints only warnings, failures and the final line', async () => {
    const result = await runCli(['backup', '--quiet'], home.env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const lines = result.stdout.split('\n').filter((l) => l !== '');
    assert.doesNotMatch(result.stdout, /> preflight|\+ preflight|run \S+ started/);
    assert.match(lines.at(-1) ?? '', /run \S+ OK \(exit 0\)/);
    for (const line of lines.slice(0, -1)) assert.match(line, /warning: /);
  });
});

describe('a closed pipe', () => {
  it('a listing command piped into head ends without an unhandled EPIPE', async () => {
    const result = await shell('"$NODE" -- "$BIN" config | head -1', home.env);
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /EPIPE|Unhandled|node:events/);
  });

  it('`backup | head -1`: exit 143, no .partial, the lock released, the run recorded', async () => {
    const before = backupFiles(home.backupDir).length;
    const result = await shell('"$NODE" -- "$BIN" backup | head -1', home.env);
    assert.equal(result.status, 143, result.stdout + result.stderr);
    assert.match(result.stdout, /\[backup\] run \S+ started/);
    assert.doesNotMatch(result.stderr, /EPIPE|Unhandled|node:events/);
    assert.match(result.stderr, /INTERRUPTED/);
    assert.ok(!readdirSync(home.backupDir).some((n) => n.endsWith('.partial')), readdirSync(home.backupDir).join(', '));
    assert.ok(backupFiles(home.backupDir).length >= before);
    const next = await runCli(['backup'], home.env);
    assert.equal(next.exitCode, 0, `the lock was left behind:\n${next.stdout}${next.stderr}`);
  });
});
