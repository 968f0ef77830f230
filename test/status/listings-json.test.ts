/**
 * `--json` on the listing commands through the real executable: `records list`, `runs list` and `config` each print
 * one JSON document on stdout. The runs and records come from a real run (the retention report); config's document
 * says of a secret only whether it is set and never holds its value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import { runCli, runIdOf, testHome } from '../helpers/cli.js';

describe('--json for the listing commands', () => {
  let home: { dir: string; env: Record<string, string> };
  let runId: string;

  before(async () => {
    home = testHome('obexal-listings-');
    const run = await runCli(['retention', '--yes'], home.env);
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    runId = runIdOf('retention', run.stdout);
  });
  after(() => rm(home.dir, { recursive: true, force: true }));

  test("records list --json: the real run's record, with the table's fields", async () => {
    const result = await runCli(['records', 'list', '--json'], home.env);
    assert.equal(result.exitCode, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as {
      recordsDir: string;
      records: { runbook: string; runId: string; outcome: string; file: string; finishedAt: string }[];
    };
    assert.equal(doc.recordsDir, `${home.env.BACKUP_DIR}/records`);
    assert.equal(doc.records.length, 1);
    assert.deepEqual(
      [doc.records[0]?.runbook, doc.records[0]?.runId, doc.records[0]?.outcome],
      ['retention', runId, 'ok'],
    );
    assert.match(doc.records[0]?.file ?? '', new RegExp(`^\\d{8}T\\d{6}Z-retention-${runId}\\.json$`));
    assert.ok(!Number.isNaN(Date.parse(doc.records[0]?.finishedAt ?? '')));
  });

  test('runs list --json: the run with its state and journal', async () => {
    const result = await runCli(['runs', 'list', '--json'], home.env);
    assert.equal(result.exitCode, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as {
      runsDir: string;
      runs: { runId: string; runbook: string; state: string; journal: string }[];
    };
    assert.deepEqual(
      doc.runs.map((r) => [r.runId, r.runbook, r.state]),
      [[runId, 'retention', 'ok']],
    );
    assert.ok(doc.runs[0]?.journal.startsWith(doc.runsDir));

    const empty = await runCli(['runs', 'list', '--json'], {
      ...home.env,
      OBEXAL_RUNBOOK_CONFIG_DIR: `${home.dir}/other-config`,
    });
    assert.deepEqual((JSON.parse(empty.stdout) as { runs: unknown[] }).runs, []);
  });

  test('config --json: every setting with its source; secrets only as set/unset, never their values', async () => {
    const secrets = {
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      ENCRYPTION_KEY_OLD: `${Buffer.alloc(32, 8).toString('base64')},${Buffer.alloc(32, 9).toString('base64')}`,
      DRILL_PASSWORD: 'correct horse battery staple',
      DRILL_TOTP_SECRET: 'JBSWY3DPEHPK3PXP',
    };
    const password = 's3cr3t-in-the-url';
    const env = {
      ...home.env,
      ...secrets,
      DATABASE_URL: `postgres://obexal:${password}@127.0.0.1:5432/obexal`,
      RETENTION_DAYS: '21',
    };
    const result = await runCli(['config', '--json'], env);
    assert.equal(result.exitCode, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as {
      configFile: string;
      settings: { name: string; value?: string | null; secret?: boolean; set: boolean; source: string }[];
    };
    const byName = new Map(doc.settings.map((s) => [s.name, s]));
    for (const name of Object.keys(secrets)) {
      assert.deepEqual(byName.get(name), { name, secret: true, set: true, source: 'environment' }, name);
    }
    assert.deepEqual(byName.get('LOGOS_S3_SECRET_ACCESS_KEY'), {
      name: 'LOGOS_S3_SECRET_ACCESS_KEY',
      secret: true,
      set: false,
      source: 'unset',
    });
    assert.deepEqual(byName.get('RETENTION_DAYS'), {
      name: 'RETENTION_DAYS',
      value: '21',
      set: true,
      source: 'environment',
    });
    assert.equal(byName.get('BACKUP_DIR')?.value, home.env.BACKUP_DIR);
    const url = byName.get('DATABASE_URL')?.value ?? '';
    assert.match(url, /^postgres:\/\/obexal:.+@127\.0\.0\.1:5432\/obexal$/);
    for (const value of [...Object.values(secrets), ...secrets.ENCRYPTION_KEY_OLD.split(','), password]) {
      assert.ok(!result.stdout.includes(value), `a secret value in the JSON: ${value.slice(0, 4)}…`);
    }
    assert.ok(doc.configFile.startsWith(home.env.OBEXAL_RUNBOOK_CONFIG_DIR as string));
  });
});
