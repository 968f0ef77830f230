/**
 * Practice scenarios through the real executable against the real sandbox: `practice up --scenario …` prepares
 * the state by running the real runbooks, and the runbook the scenario is for then succeeds on it:
 * - rotated-keys: two eras in the register, an era-1 dump, the handed-out ENCRYPTION_KEY is era-2's; restoring the
 *   era-1 dump fetches era-1's key through ENCRYPTION_KEY_COMMAND and re-encrypts;
 * - bad-migration: migration 6 applied after a pre-migration backup; `rollback` restores the pre-deploy dump;
 * - a scenario whose runbook fails stops the whole sandbox, naming the runbook and its last lines.
 * After `practice down` (or the failure) nothing of the sandbox remains.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { decryptSecret, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { ENCRYPTED_COLUMNS } from '../../src/sandbox/schema/encrypted-columns.js';
import { isProcessAlive } from '../../src/core/private-dir.js';
import { startPracticeStack } from '../../src/sandbox/practice/stack.js';
import { prepareScenarioOrStop } from '../../src/sandbox/practice/scenarios.js';
import type { KeyEraRegister } from '../../src/eras/register.js';
import { BIN, ROOT, runCli, testHome, type CliResult } from '../helpers/cli.js';
import { keys, shellQuote, withPty } from '../helpers/pty.js';
import { readRecord, recordPathOf } from '../rotation/fixture.js';

// A temp folder of our own: the practice state file lives in TMPDIR, so a sandbox of another test run elsewhere on
// the machine neither blocks nor is stopped by ours. 0755: the cluster's folder inside must be reachable by postgres.
const TMP = mkdtempSync(join(tmpdir(), 'obexal-scenarios-'));
chmodSync(TMP, 0o755);
// A HOME of its own: the practice state is kept per HOME, and other test files run practice at the same time.
const BASE_ENV = { TMPDIR: TMP, HOME: TMP };

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
    const socket = netConnect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(false);
    });
    socket.once('error', () => resolvePromise(true));
  });
}

async function assertNothingLeft(dir: string, urls: string[]): Promise<void> {
  assert.equal(existsSync(dir), false, 'the sandbox folder is removed');
  const left = await execa('pgrep', ['-f', dir], { reject: false });
  assert.equal(String(left.stdout).trim(), '', 'no process of the sandbox remains');
  for (const url of urls) assert.equal(await refuses(url), true, `nothing listens at ${new URL(url).host} any more`);
}

interface UpSandbox {
  up: CliResult;
  env: Record<string, string>;
  envFile: string;
  /** `practice down`, then the proof that nothing of the sandbox remains. */
  down(): Promise<void>;
}

/** `practice up --scenario name` in a home of its own; the checks of the scenario are the caller's. */
async function upWithScenario(name: string): Promise<UpSandbox> {
  const home = testHome();
  const envFile = join(home.dir, 'practice.env');
  const up = await runCli(['practice', 'up', '--env-file', envFile, '--scenario', name], BASE_ENV, {
    timeoutMs: 900_000,
  });
  const env = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')) : {};
  return {
    up,
    env,
    envFile,
    down: async () => {
      const down = await runCli(['practice', 'down'], BASE_ENV);
      assert.equal(down.exitCode, 0, down.stderr);
      if (env.BACKUP_DIR)
        await assertNothingLeft(join(env.BACKUP_DIR, '..'), [
          env.DATABASE_URL!,
          env.AUTH_SERVICE_URL!,
          env.S3_ENDPOINT!,
        ]);
      rmSync(home.dir, { recursive: true, force: true });
    },
  };
}

function assertUp(sandbox: UpSandbox, name: string): void {
  const { up, envFile } = sandbox;
  assert.equal(up.exitCode, 0, `${up.stdout.slice(-4000)}\n${up.stderr.slice(-4000)}`);
  assert.match(up.stdout, new RegExp(`scenario ${name}: `), 'progress lines while the scenario is prepared');
  assert.match(up.stdout, new RegExp(`scenario ${name}\\b.*; environment in`));
  assert.equal(statSync(envFile).mode & 0o777, 0o600);
  assert.ok(
    readFileSync(envFile, 'utf8').includes(`# scenario    ${name}`),
    "the env file's header describes the scenario",
  );
}

function manifests(env: Record<string, string>): {
  dump: { name: string };
  reason: string;
  keyEras: { label: string }[];
  schemaMigration: { version: string | null };
}[] {
  const dir = env.BACKUP_DIR!;
  return readdirSync(dir)
    .filter((n) => n.endsWith('.manifest.json'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')));
}

/** How many encrypted values of the database `key` opens, out of how many. */
async function opened(env: Record<string, string>, keyText: string): Promise<{ opened: number; total: number }> {
  const key = parseEncryptionKey(keyText);
  let total = 0;
  let count = 0;
  await withClient(parseConnectionString(env.DATABASE_URL!), async (client) => {
    for (const column of ENCRYPTED_COLUMNS) {
      const rows = (
        await client.query<{ v: string }>(
          `SELECT ${column.column} AS v FROM ${column.table} WHERE ${column.column} IS NOT NULL`,
        )
      ).rows;
      for (const { v } of rows) {
        total += 1;
        try {
          decryptSecret(v, [key]);
          count += 1;
        } catch {
          // not under this key
        }
      }
    }
  });
  return { opened: count, total };
}

async function schema(env: Record<string, string>): Promise<{ versions: number[]; columns: string[] }> {
  return withClient(parseConnectionString(env.DATABASE_URL!), async (client) => ({
    versions: (
      await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    ).rows.map((r) => r.version),
    columns: (
      await client.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'",
      )
    ).rows.map((r) => r.column_name),
  }));
}

const stepOf = (record: ReturnType<typeof readRecord>, id: string) => record.steps.find((s) => s.id === id);

after(() => rmSync(TMP, { recursive: true, force: true }));

describe('practice up --scenario rotated-keys', { timeout: 1_200_000 }, () => {
  let sandbox: UpSandbox;
  let env: Record<string, string>;
  let vaultKey: (era: string) => string;
  let restore: CliResult | undefined;
  before(async () => {
    sandbox = await upWithScenario('rotated-keys');
    env = sandbox.env;
    const keyCommand = JSON.parse(env.ENCRYPTION_KEY_COMMAND ?? '["cat", ""]') as string[];
    vaultKey = (era: string) => readFileSync(keyCommand[1]!.replace('{era}', era), 'utf8').trim();
  });
  after(async () => sandbox?.down());

  test("era-1 closed and era-2 open, the handed-out ENCRYPTION_KEY is era-2's and opens every secret, an era-1 dump", async () => {
    assertUp(sandbox, 'rotated-keys');
    const register = JSON.parse(readFileSync(join(env.BACKUP_DIR!, 'key-eras.json'), 'utf8')) as KeyEraRegister;
    assert.deepEqual(
      register.eras.map((e) => e.label),
      ['era-1', 'era-2'],
    );
    assert.ok(register.eras[0]?.end, 'era-1 is closed');
    assert.equal(register.eras[1]?.end, null, 'era-2 is open');

    const era1Key = vaultKey('era-1');
    assert.notEqual(env.ENCRYPTION_KEY, era1Key, "the handed-out key is not era-1's");
    assert.equal(env.ENCRYPTION_KEY, vaultKey('era-2'), "it is era-2's, the one in the vault");
    assert.equal(env.ENCRYPTION_KEY_OLD ?? '', '', "era-1's key is not in ENCRYPTION_KEY_OLD");
    const under = await opened(env, env.ENCRYPTION_KEY!);
    assert.ok(under.total > 100, `the database holds encrypted values (${under.total})`);
    assert.equal(under.opened, under.total, 'the handed-out key opens every secret of the database');
    assert.equal((await opened(env, era1Key)).opened, 0, "none is under era-1's key any more");

    const era1Dumps = manifests(env).filter((m) => m.keyEras.map((e) => e.label).join() === 'era-1');
    const scheduled = era1Dumps.find((m) => m.reason === 'scheduled');
    assert.ok(scheduled, `a scheduled era-1 dump exists (${era1Dumps.map((m) => m.reason).join(', ')})`);
    assert.ok(sandbox.up.stdout.includes(`restore ${scheduled.dump.name}`), 'the summary says how to restore it');
    for (const key of [env.ENCRYPTION_KEY!, era1Key])
      assert.ok(!(sandbox.up.stdout + sandbox.up.stderr).includes(key), 'no key in the output of practice up');
  });

  test("restoring the era-1 dump headless fetches era-1's key through ENCRYPTION_KEY_COMMAND and re-encrypts", async () => {
    const scheduled = manifests(env).find(
      (m) => m.reason === 'scheduled' && m.keyEras.map((e) => e.label).join() === 'era-1',
    );
    assert.ok(scheduled);
    // The call of Obexal's guide, headless (no terminal), with the handed-out environment.
    const era1Key = vaultKey('era-1');
    restore = await runCli(
      ['restore', scheduled.dump.name],
      { ...BASE_ENV, ...env, CONFIRM: 'yes' },
      { timeoutMs: 600_000 },
    );
    const record = readRecord(recordPathOf(restore.stdout));
    const keyEra = stepOf(record, 'key-era');
    assert.equal(keyEra?.outcome, 'ok', restore.stdout.slice(-4000));
    assert.equal(keyEra?.data?.dumpEra, 'era-1');
    assert.equal(keyEra?.data?.currentEra, 'era-2');
    assert.equal(keyEra?.data?.needsReencrypt, true);
    const keys = keyEra?.data?.keys as { era: string; source: string }[];
    assert.ok(
      keys.some((k) => k.era === 'era-1' && /^ENCRYPTION_KEY_COMMAND \(era era-1\)$/.test(k.source)),
      `era-1's key came from the vault command (${JSON.stringify(keys)})`,
    );
    // Swap mode checks and re-encrypts the copy before the swap (issue 11's step ids).
    for (const id of ['apply', 'check-copy', 'reencrypt-copy'])
      assert.equal(stepOf(record, id)?.outcome, 'ok', `${id} passed`);
    const restored = await opened(env, env.ENCRYPTION_KEY!);
    assert.equal(restored.opened, restored.total, 'after the restore every secret is under the era-2 key again');
    for (const [what, text] of [
      ['restore', restore.stdout + restore.stderr],
      ['the record', readFileSync(recordPathOf(restore.stdout), 'utf8')],
    ] as const) {
      assert.ok(!text.includes(env.ENCRYPTION_KEY!), `the new key is not in ${what}`);
      assert.ok(!text.includes(era1Key), `the era-1 key is not in ${what}`);
    }
  });

  // Found by this scenario: the application held only era-2's key and refused the era-1 secrets, so restore now
  // starts it after reencrypt-secrets (restore.after), not inside apply.
  test('…and that restore succeeds as a whole: the application starts after the re-encryption, live checks pass', () => {
    assert.ok(restore, 'the restore ran');
    assert.equal(restore.exitCode, 0, `${restore.stdout.slice(-3000)}\n${restore.stderr}`);
    assert.match(restore.stdout, /the application starts after reencrypt-secrets/);
    assert.match(restore.stdout, /\+ after: ok .*live checks passed/);
  });
});

describe('practice up --scenario bad-migration', { timeout: 1_200_000 }, () => {
  let sandbox: UpSandbox;
  before(async () => {
    sandbox = await upWithScenario('bad-migration');
  });
  after(async () => sandbox?.down());

  test('migration 6 after a pre-migration dump; `rollback` restores it and leaves the schema before 6', async () => {
    assertUp(sandbox, 'bad-migration');
    const env = sandbox.env;
    const before = await schema(env);
    assert.equal(Math.max(...before.versions), 6, 'the schema is at migration 6');
    assert.ok(
      before.columns.includes('full_name') && !before.columns.includes('display_name'),
      'the breaking rename ran',
    );
    const pre = manifests(env).filter((m) => m.reason === 'pre-migration');
    assert.equal(pre.length, 1, 'a pre-migration dump exists');
    assert.notEqual(pre[0]?.schemaMigration.version, '6', 'taken before migration 6');
    assert.ok(env.ROLLBACK_PREVIOUS_IMAGE, 'ROLLBACK_PREVIOUS_IMAGE is handed out');
    const deploymentFile = join(env.BACKUP_DIR!, '..', 'app', 'deployment.json');
    assert.notEqual(
      (JSON.parse(readFileSync(deploymentFile, 'utf8')) as { IMAGE: string }).IMAGE,
      env.ROLLBACK_PREVIOUS_IMAGE,
      'the deployment runs the new image',
    );

    const rollback = await runCli(
      ['rollback', '--yes'],
      { ...BASE_ENV, ...env, CONFIRM: 'yes' },
      { timeoutMs: 600_000 },
    );
    assert.equal(rollback.exitCode, 0, `${rollback.stdout.slice(-6000)}\n${rollback.stderr}`);
    const record = readRecord(recordPathOf(rollback.stdout));
    assert.equal(record.details.rollback?.branch, 'restore');
    for (const id of ['select', 'apply', 'redeploy-restored', 'check-me'])
      assert.equal(stepOf(record, id)?.outcome, 'ok', `${id} passed`);
    assert.match(
      JSON.stringify(stepOf(record, 'select')?.data ?? {}),
      new RegExp(pre[0]!.dump.name.replace(/\./g, '\\.')),
      'the pre-deploy dump was restored',
    );
    const afterRollback = await schema(env);
    assert.ok(!afterRollback.versions.includes(6), 'migration 6 is undone');
    assert.ok(afterRollback.columns.includes('display_name') && !afterRollback.columns.includes('full_name'));
    assert.equal(
      (JSON.parse(readFileSync(deploymentFile, 'utf8')) as { IMAGE: string }).IMAGE,
      env.ROLLBACK_PREVIOUS_IMAGE,
      'the previous image runs again',
    );
  });
});

test(
  'a scenario whose runbook fails stops the whole sandbox and names the runbook and its last lines',
  { timeout: 300_000 },
  async () => {
    const stack = await startPracticeStack({ parentDir: TMP });
    const appPid = stack.authService.pid;
    const urls = [stack.env.DATABASE_URL!, stack.env.AUTH_SERVICE_URL!, stack.env.S3_ENDPOINT!];
    // A setting the backup runbook refuses: the scenario's first runbook fails for a reason of its own.
    const broken = { ...stack, env: { ...stack.env, ...BASE_ENV, BACKUP_COMPRESSION: '42' } };
    const progress: string[] = [];
    await assert.rejects(
      prepareScenarioOrStop(broken, 'bad-migration', { onProgress: (m) => progress.push(m) }),
      (error: Error & { hint?: string }) => {
        assert.match(error.message, /practice scenario bad-migration: the backup runbook failed \(exit \d+\)/);
        assert.match(error.message, /BACKUP_COMPRESSION "42" is not a gzip level/, 'the tail of its output says why');
        assert.match(error.hint ?? '', /stopped and removed/);
        return true;
      },
    );
    assert.ok(
      progress.some((line) => /pre-deploy backup/.test(line)),
      progress.join('\n'),
    );
    assert.equal(isProcessAlive(appPid), false, 'the auth-service is stopped');
    assert.equal(existsSync(stack.cluster.rootDir), false, 'the cluster is removed');
    await assertNothingLeft(stack.dir, urls);
  },
);

test(
  '`practice --scenario bad-migration` prepares the scenario before the menu opens; Quit removes everything',
  { timeout: 300_000 },
  async () => {
    let sandboxDir = '';
    const command = `${shellQuote(process.execPath)} -- ${shellQuote(BIN)} practice --scenario bad-migration; echo "status=$?"`;
    await withPty(
      `sh -c ${shellQuote(command)}`,
      { cwd: ROOT, cols: 160, timeoutMs: 240_000, env: BASE_ENV },
      async (pty) => {
        await pty.waitFor('Quit', { timeoutMs: 240_000 });
        const text = pty.text();
        assert.match(
          text,
          /scenario bad-migration: a pre-deploy backup/,
          'progress lines while the scenario is prepared',
        );
        assert.match(
          text,
          /ROLLBACK_PREVIOUS_IMAGE=obexal\/auth-service:practice\b/,
          'the summary names the image to go back to',
        );
        sandboxDir = /everything\s+(\/\S+obexal-practice-\S+)/.exec(text)?.[1] ?? '';
        assert.ok(sandboxDir, 'the sandbox says where it lives');
        assert.ok(existsSync(join(sandboxDir, 'app', 'deploys.log')), 'the scenario deployed the new image');
        const since = pty.mark();
        pty.write(keys.up);
        await pty.waitFor(/❯\s*Quit/, { since, timeoutMs: 10_000 });
        pty.write(keys.enter);
        await pty.waitFor('status=', { timeoutMs: 60_000 });
        assert.match(pty.text(), /status=0/);
      },
    );
    await assertNothingLeft(sandboxDir, []);
  },
);
