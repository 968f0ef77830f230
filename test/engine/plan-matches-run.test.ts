/**
 * `--dry-run` prints a true plan (issue 13): for every built-in runbook that runs in the practice sandbox, the plan's
 * steps are the steps a real run then takes, in the same order, and a step the plan says will not run is the one
 * the run skips for its condition. A plan line says "(parameters depend on earlier steps)" only for a step whose
 * parameters take an earlier step's output, and no line hides a description that failed. The comparison itself is
 * in plan-vs-run.ts; the PITR runbooks are compared in plan-matches-run-pitr.test.ts.
 *
 * One sandbox for all of them, in the order an operator meets them: backup, drill, restore, retention,
 * reencrypt-secrets, rollback (both branches), key rotation; then, with the new key, the branches that re-encrypt
 * an older era's secrets (a restore and a drill of the pre-rotation dump, reencrypt-secrets on a database restored
 * by hand from it), where a dry run cannot know whether the re-encryption runs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { generateEncryptionKey } from '../../src/keys/secret-value.js';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { deployApp, migrateApp } from '../../src/sandbox/practice/app.js';
import { SCENARIO_MIGRATIONS } from '../../src/sandbox/schema/migrations.js';
import { CHECKLIST_ANSWERS } from '../drill/fixture.js';
import { ROTATION_ANSWERS, startSandbox, writeAnswers, type Sandbox } from '../rotation/fixture.js';
import { comparePlanWithRun } from './plan-vs-run.js';

function preRotationDump(sandbox: Sandbox): string {
  const backups = sandbox.env.BACKUP_DIR as string;
  const manifest = readdirSync(backups)
    .filter((n) => n.endsWith('.manifest.json'))
    .map((n) => JSON.parse(readFileSync(join(backups, n), 'utf8')) as { reason: string; dump: { name: string } })
    .find((m) => m.reason === 'pre-rotation');
  assert.ok(manifest, 'the rotation took a pre-rotation backup');
  return join(backups, manifest.dump.name);
}

/** What reencrypt-secrets is for: a dump restored by other means (age and pg_restore by hand) into a new database. */
async function restoreByHand(sandbox: Sandbox, dump: string, database: string): Promise<string> {
  const url = new URL(sandbox.env.DATABASE_URL as string);
  await withClient(parseConnectionString(url.toString()), (client) => client.query(`CREATE DATABASE ${database}`));
  url.pathname = `/${database}`;
  // The connection goes through libpq's environment, never the command line.
  const libpq = {
    PGHOST: url.hostname,
    PGPORT: url.port,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
  };
  const script = 'age -d -i "$1" "$2" | zstd -dcfq | pg_restore --no-owner --exit-on-error -d "$3"';
  const identity = sandbox.env.BACKUP_IDENTITY_FILE as string;
  await execa('bash', ['-o', 'pipefail', '-c', script, 'bash', identity, dump, database], {
    env: { PATH: process.env.PATH, ...libpq },
    extendEnv: false,
    stdin: 'ignore',
  });
  return url.toString();
}

describe('the plan of --dry-run against the real run that follows', { timeout: 1_500_000 }, () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  const answers = (name: string, values: Record<string, string>) => ['--answers', writeAnswers(sandbox, name, values)];
  before(async () => {
    sandbox = await startSandbox();
    env = { ...sandbox.env, CONFIRM: 'yes' };
  });
  after(() => sandbox?.stop());

  const extra: Record<string, () => string[]> = {
    backup: () => [],
    drill: () => answers('drill.yaml', CHECKLIST_ANSWERS),
    restore: () => ['latest'],
  };
  for (const runbook of ['backup', 'drill', 'restore']) {
    it(`${runbook}: the same steps, in order, skipped where the plan says they will not run`, async () => {
      const { plan } = await comparePlanWithRun(runbook, { env, args: extra[runbook]!(), timeoutMs: 600_000 });
      assert.ok(plan.length > 3, 'a plan');
    });
  }

  it('retention: report, then apply behind its gate', async () => {
    await comparePlanWithRun('retention', { env });
    await comparePlanWithRun('retention', { env, args: answers('apply.yaml', { mode: 'apply', 'gate-prune': 'yes' }) });
  });

  it('reencrypt-secrets on a database already under the current key: only the check runs', async () => {
    const { ranActions } = await comparePlanWithRun('reencrypt-secrets', { env });
    assert.ok(ranActions.has('restore.verify-secrets') && !ranActions.has('restore.reencrypt'), [...ranActions].join());
  });

  it('rollback of a compatible deploy: the previous image redeployed, no restore', async () => {
    const backup = await comparePlanWithRun('backup', { env, args: ['--reason', 'pre-migration', '--pin', '7d'] });
    assert.ok(backup.plan.length > 0);
    await deployApp(sandbox.appDir, 'obexal/auth-service:1.42.0');
    await migrateApp(sandbox.appDir, String(SCENARIO_MIGRATIONS.compatible));
    const args = answers('compatible.yaml', { 'previous-image': 'obexal/auth-service:1.41.0' });
    const { ranActions } = await comparePlanWithRun('rollback', { env, args });
    assert.ok(ranActions.has('rollback.deploy'), 'the previous image was redeployed');
    assert.ok(!ranActions.has('restore.select'), 'no restore');
  });

  it('rollback of a breaking deploy: the pre-deploy dump restored through the restore runbook, then redeployed', async () => {
    await comparePlanWithRun('backup', { env, args: ['--reason', 'pre-migration', '--pin', '7d'] });
    await deployApp(sandbox.appDir, 'obexal/auth-service:1.43.0');
    await migrateApp(sandbox.appDir, String(SCENARIO_MIGRATIONS.badMigration));
    const args = answers('breaking.yaml', { 'previous-image': 'obexal/auth-service:1.42.0' });
    const { ranActions } = await comparePlanWithRun('rollback', { env, args });
    assert.ok(ranActions.has('restore.select') && ranActions.has('restore.verify'), 'the restore branch ran');
    assert.ok(ranActions.has('rollback.deploy'), 'the previous image was redeployed');
  });

  const newKey = generateEncryptionKey();
  it('key-rotation', async () => {
    await sandbox.stack.vault.writeKey('era-2', newKey);
    const args = answers('rotation.yaml', { ...ROTATION_ANSWERS, 'era-label': 'era-1' });
    const { ranActions } = await comparePlanWithRun('key-rotation', { env, args, timeoutMs: 900_000 });
    assert.ok(ranActions.has('rotation.close-era'), 'the rotation went to its end');
  });

  it('restore and drill of the pre-rotation dump under the new key: its secrets re-encrypted', async () => {
    const withNewKey = { ...env, ENCRYPTION_KEY: newKey };
    const dump = preRotationDump(sandbox);
    const restored = await comparePlanWithRun('restore', { env: withNewKey, args: [dump] });
    assert.ok(restored.ranActions.has('restore.reencrypt'), 'the restore re-encrypted the secrets');
    const args = [`bucket:${dump.split('/').pop()}`, ...answers('drill-old.yaml', CHECKLIST_ANSWERS)];
    const drilled = await comparePlanWithRun('drill', { env: withNewKey, args });
    assert.ok(drilled.ranActions.has('restore.reencrypt'), 'the drill re-encrypted the secrets');
  });

  it('reencrypt-secrets on a database restored by hand from the pre-rotation dump: re-encrypted, confirmed', async () => {
    const url = await restoreByHand(sandbox, preRotationDump(sandbox), 'obexal_by_hand');
    const args = answers('era.yaml', { 'dump-era': 'era-1' });
    const { ranActions } = await comparePlanWithRun('reencrypt-secrets', {
      env: { ...env, ENCRYPTION_KEY: newKey, DATABASE_URL: url },
      args,
    });
    assert.ok(ranActions.has('restore.reencrypt'), 're-encrypted');
  });
});
