/**
 * The rollback runbook headless against the practice sandbox, through the real executable, its three outcomes in
 * the order an operator meets them:
 * - a breaking migration with no pre-migration backup: refused before anything changes, with what to do instead;
 * - a compatible deploy (migration 5 adds a nullable column): the previous image redeployed through
 *   APP_DEPLOY_COMMAND, the live checks pass, the database untouched (migration 5 stays);
 * - a bad deploy (migration 6 renames a column the previous image reads): the pre-deploy dump (reason
 *   pre-migration, the newest before the deployment) restored through the restore actions, the previous image
 *   redeployed, the live checks pass, migration 6 undone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { SCENARIO_MIGRATIONS } from '../../src/sandbox/schema/migrations.js';
import { deployApp, deployedImages } from '../../src/sandbox/practice/app.js';
import {
  cli,
  readRecord,
  recordPathOf,
  runIdOf,
  verifyRecord,
  writeAnswers,
  startSandbox,
  type Sandbox,
} from '../rotation/fixture.js';

async function schema(sandbox: Sandbox): Promise<{ versions: number[]; columns: string[] }> {
  return withClient(parseConnectionString(sandbox.env.DATABASE_URL as string), async (client) => ({
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

/** What a deployment of `image` with `migration` does: the new image, then its migration run. */
async function deploy(sandbox: Sandbox, image: string, migration: number): Promise<void> {
  await deployApp(sandbox.appDir, image);
  const said = await cli(sandbox, ['practice', 'app', 'migrate', sandbox.appDir, String(migration)]);
  assert.equal(said.exitCode, 0, said.stdout + said.stderr);
  assert.match(said.stdout, new RegExp(`applied migration\\(s\\) ${migration} to the practice database`));
}

async function preMigrationBackup(sandbox: Sandbox): Promise<void> {
  const backup = await cli(sandbox, ['backup', '--yes', '--reason', 'pre-migration', '--pin', '7d']);
  assert.equal(backup.exitCode, 0, backup.stdout.slice(-3000));
}

const stepOutcome = (record: ReturnType<typeof readRecord>, id: string) =>
  record.steps.find((s) => s.id === id)?.outcome;

describe('rollback, headless, both branches', { timeout: 900_000 }, () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox();
  });
  after(async () => sandbox?.stop());

  test('a breaking migration without a pre-migration backup is refused, nothing changed, with what to do instead', async () => {
    const answers = writeAnswers(sandbox, 'refused.yaml', {
      'previous-image': 'obexal/auth-service:1.40.0',
      migrations: String(SCENARIO_MIGRATIONS.badMigration),
    });
    const result = await cli(sandbox, ['rollback', '--yes', '--answers', answers]);
    assert.equal(result.exitCode, 1, result.stdout.slice(-3000));
    assert.match(result.stdout, /rollback refused: migration 6 .*is breaking/);
    assert.match(result.stdout, /no pre-migration backup of this database taken before the deployment/);
    assert.match(result.stdout, /roll forward/);
    assert.match(result.stdout, /backup --reason pre-migration/);
    assert.deepEqual(await deployedImages(sandbox.appDir), [], 'nothing was deployed');
  });

  test('compatible: only the previous image is redeployed, the live checks pass, migration 5 stays', async () => {
    await preMigrationBackup(sandbox);
    await deploy(sandbox, 'obexal/auth-service:1.42.0', SCENARIO_MIGRATIONS.compatible);
    const answers = writeAnswers(sandbox, 'compatible.yaml', { 'previous-image': 'obexal/auth-service:1.41.0' });
    const result = await cli(sandbox, ['rollback', '--yes', '--answers', answers]);
    assert.equal(result.exitCode, 0, `${result.stdout.slice(-5000)}\n${result.stderr}`);
    assert.match(result.stdout, /migration 5 \(users_phone_number\): additive \(MIGRATION_COMPATIBILITY_FILE\)/);
    const record = readRecord(recordPathOf(result.stdout));
    assert.equal(record.details.rollback?.branch, 'redeploy');
    assert.deepEqual(
      (record.details.rollback?.migrations as { version: number }[]).map((m) => m.version),
      [5],
    );
    assert.equal(stepOutcome(record, 'redeploy'), 'ok');
    for (const id of ['select', 'apply', 'redeploy-restored'])
      assert.notEqual(stepOutcome(record, id), 'ok', `${id} did not run`);
    for (const id of ['check-jwks', 'check-login', 'check-mfa', 'check-me'])
      assert.equal(stepOutcome(record, id), 'ok', `${id} passed`);
    assert.deepEqual((await deployedImages(sandbox.appDir)).slice(-1), ['obexal/auth-service:1.41.0']);
    const after = await schema(sandbox);
    assert.equal(Math.max(...after.versions), 5, 'the additive migration stays applied');
    assert.ok(after.columns.includes('phone_number'));
    const verdict = await verifyRecord(sandbox, recordPathOf(result.stdout));
    assert.equal(verdict.status, 0, verdict.output);
  });

  test('incompatible: the pre-deploy dump is restored, the previous image redeployed, the live checks pass', async () => {
    await preMigrationBackup(sandbox);
    await deploy(sandbox, 'obexal/auth-service:1.43.0', SCENARIO_MIGRATIONS.badMigration);
    assert.ok((await schema(sandbox)).columns.includes('full_name'), 'the bad migration ran');
    const answers = writeAnswers(sandbox, 'incompatible.yaml', { 'previous-image': 'obexal/auth-service:1.42.0' });

    const unconfirmed = await cli(sandbox, ['rollback', '--yes', '--answers', answers]);
    assert.equal(unconfirmed.exitCode, 3, unconfirmed.stdout.slice(-3000));
    assert.match(unconfirmed.stdout, /CONFIRM=yes/);
    assert.ok((await schema(sandbox)).columns.includes('full_name'), 'nothing changed without CONFIRM=yes');

    // The deploy fails after the restore: the run stops saying where it stands, and --resume finishes it.
    const failingDeploy = JSON.stringify(['sh', '-c', 'echo "registry: pull access denied" >&2; exit 1']);
    const stopped = await cli(sandbox, ['rollback', '--yes', '--answers', answers], {
      CONFIRM: 'yes',
      APP_DEPLOY_COMMAND: failingDeploy,
    });
    assert.equal(stopped.exitCode, 1, stopped.stdout.slice(-4000));
    assert.match(stopped.stdout, /migration 6 \(rename_users_display_name\): breaking/);
    assert.match(stopped.stdout, /x redeploy-restored: FAILED/);
    assert.match(stopped.stdout, /pull access denied/);
    assert.match(stopped.stdout, /the database holds the restored pre-deploy dump/);
    const runId = runIdOf('rollback', stopped.stdout);
    assert.ok(stopped.stdout.includes(`obexal-runbook rollback --resume ${runId}`));
    assert.ok((await schema(sandbox)).columns.includes('display_name'), 'the restore was done');

    const result = await cli(sandbox, ['rollback', '--yes', '--answers', answers, '--resume', runId], {
      CONFIRM: 'yes',
    });
    assert.equal(result.exitCode, 0, `${result.stdout.slice(-6000)}\n${result.stderr}`);
    assert.match(result.stdout, /\+ apply: ok in 0ms: done in the earlier run/, 'the restore is not done twice');
    const record = readRecord(recordPathOf(result.stdout));
    const plan = record.details.rollback as {
      branch: string;
      preDeployBackup: string;
      migrations: { version: number }[];
    };
    assert.equal(plan.branch, 'restore');
    assert.deepEqual(
      plan.migrations.map((m) => m.version),
      [6],
    );
    // `check-copy`: the swap mode's checks run on the copy before the swap (issue 11's step ids).
    for (const id of [
      'select',
      'verify',
      'key-era',
      'inspect',
      'confirm',
      'apply',
      'check-copy',
      'redeploy-restored',
      'after',
      'check-jwks',
      'check-login',
      'check-mfa',
      'check-me',
    ]) {
      assert.equal(stepOutcome(record, id), 'ok', `${id} passed`);
    }
    assert.notEqual(stepOutcome(record, 'redeploy'), 'ok', 'the redeploy-only branch did not run');
    const select = record.steps.find((s) => s.id === 'select');
    assert.match(
      JSON.stringify(select?.data ?? {}),
      new RegExp(plan.preDeployBackup.replace(/^(local|bucket):/, '').replace(/\./g, '\\.')),
      'the newest pre-migration backup was restored',
    );
    const restored = await schema(sandbox);
    assert.equal(Math.max(...restored.versions), 5, 'migration 6 is undone: the schema is the pre-deploy one');
    assert.ok(restored.columns.includes('display_name') && !restored.columns.includes('full_name'));
    assert.deepEqual((await deployedImages(sandbox.appDir)).slice(-1), ['obexal/auth-service:1.42.0']);
    const verdict = await verifyRecord(sandbox, recordPathOf(result.stdout));
    assert.equal(verdict.status, 0, verdict.output);
  });
});
