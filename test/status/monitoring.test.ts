/**
 * `status` as monitoring systems read it, through the real executable against s3rver: each of OK, WARNING,
 * CRITICAL and UNKNOWN reached, with its exit code and parsed performance data; `--json` parsed; the Prometheus
 * textfile parsed line by line and written atomically. Backups are fabricated (as in status.test.ts); records are
 * real signed records appended to the real store.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addEra, emptyRegister } from '../../src/eras/register.js';
import { writeLocalRegister } from '../../src/eras/store.js';
import { loadOrCreateSigningKey } from '../../src/records/signing-key.js';
import { appendRecord } from '../../src/records/store.js';
import { closeS3 } from '../../src/s3/client.js';
import { uploadFile } from '../../src/s3/upload.js';
import { runCli, testHome } from '../helpers/cli.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { closedPort, contextFor, useEnvCredentials } from '../s3/fixture.js';
import { ago, DAY, HOUR, writeFakeBackup, type FakeBackup } from '../retention/fixture.js';
import { parsePluginOutput, parsePrometheus, perfValue, sampleOf } from './plugin-parse.js';

interface Home {
  env: Record<string, string>;
  dir: string;
  backupDir: string;
  recordsDir: string;
  backup: FakeBackup;
}

interface SetupOptions {
  backupAge: number;
  /** Age of the last passing drill; none when undefined. */
  drillAge?: number;
  register?: boolean;
  lastBackupOutcome?: 'ok' | 'failed';
}

const line = (stdout: string, start: string): string =>
  stdout.split('\n').find((l) => l.startsWith(start)) ?? `(no "${start}" line in: ${stdout})`;

describe('status for monitoring', () => {
  let s3: StartedS3rver;
  const dirs: string[] = [];
  let prefixes = 0;

  before(async () => {
    s3 = await startS3rver();
    useEnvCredentials(s3.env);
  });
  after(async () => {
    await s3.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function record(
    home: { configDir: string; recordsDir: string },
    runbook: string,
    outcome: string,
    finishedAt: Date,
    extra: Record<string, unknown>,
  ) {
    const key = await loadOrCreateSigningKey({ configDir: home.configDir, recordsDir: home.recordsDir });
    const runId = `${runbook}-${Math.random().toString(16).slice(2, 8)}`;
    await appendRecord({
      recordsDir: home.recordsDir,
      key: key.keyPair,
      principal: key.principal,
      record: { runbook, runId, outcome, finishedAt: finishedAt.toISOString(), ...extra },
    });
  }

  async function setup(options: SetupOptions): Promise<Home> {
    const home = testHome('obexal-monitoring-');
    dirs.push(home.dir);
    const backupDir = home.env.BACKUP_DIR as string;
    const recordsDir = join(backupDir, 'records');
    const env: Record<string, string> = { ...home.env, ...s3.env, S3_PREFIX: `monitoring-${(prefixes += 1)}/` };
    const backup = await writeFakeBackup(backupDir, {
      takenAt: ago(options.backupAge),
      verifiedBucket: true,
      size: 4096,
    });
    const context = contextFor(env);
    try {
      await uploadFile(context, {
        file: join(backupDir, backup.dumpName),
        name: backup.dumpName,
        sha256: backup.sha256,
      });
      await uploadFile(context, { file: join(backupDir, backup.manifestName), name: backup.manifestName });
    } finally {
      closeS3(context);
    }
    if (options.register !== false) {
      await writeLocalRegister(
        backupDir,
        addEra(emptyRegister(), { label: 'era-1', fingerprint: 'b'.repeat(64), start: ago(60 * DAY).toISOString() }),
      );
    }
    const where = { configDir: env.OBEXAL_RUNBOOK_CONFIG_DIR as string, recordsDir };
    await record(where, 'backup', 'ok', ago(options.backupAge - 30_000), { exitCode: 0, durationMs: 24_600 });
    if (options.lastBackupOutcome === 'failed')
      await record(where, 'backup', 'failed', ago(HOUR / 2), { exitCode: 1, durationMs: 3_000 });
    if (options.drillAge !== undefined) {
      await record(where, 'drill', 'ok', ago(options.drillAge), {
        exitCode: 0,
        durationMs: 21_000,
        details: { drill: { rto: { ms: 19_600 } } },
      });
    }
    return { env, dir: home.dir, backupDir, recordsDir, backup };
  }

  test('OK: exit 0, the first line and every performance datum as monitoring-plugins define them', async () => {
    const home = await setup({ backupAge: HOUR, drillAge: 10 * DAY });
    const result = await runCli(['status'], home.env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const out = parsePluginOutput(result.stdout);
    assert.equal(out.state, 'OK');
    assert.match(out.summary, /^backup local 1h 00m old, backup bucket 1h 00m old, drill 10d 0h old$/);
    for (const label of ['backup_local_age', 'backup_bucket_age']) {
      assert.deepEqual(
        { ...out.perf.get(label), value: 0 },
        { value: 0, uom: 's', warn: 26 * 3600, crit: 52 * 3600, min: 0 },
        label,
      );
      assert.ok(Math.abs(perfValue(out, label) - 3600) <= 120, `${label} is about an hour`);
    }
    assert.deepEqual(
      { ...out.perf.get('drill_age'), value: 0 },
      { value: 0, uom: 's', warn: 92 * 86400, crit: 184 * 86400, min: 0 },
    );
    assert.deepEqual(out.perf.get('dump_size'), { value: 4096, uom: 'B', min: 0 });
    assert.deepEqual(out.perf.get('dump_duration'), { value: 5, uom: 's', min: 0 });
    assert.deepEqual(out.perf.get('backup_duration'), { value: 24.6, uom: 's', min: 0 });
    assert.deepEqual(out.perf.get('rto'), { value: 19.6, uom: 's', warn: 1800, min: 0 });
    assert.match(
      line(result.stdout, 'key-era register:'),
      /^key-era register: 1 era\(s\), open: era-1 \(.*key-eras\.json\); the bucket has no copy yet .* ok$/,
    );
    assert.match(
      line(result.stdout, 'last backup run:'),
      /^last backup run: ok, (59m|1h 00m) ago ok - \d{8}T\d{6}Z-backup-backup-\w+\.json$/,
    );
    assert.match(line(result.stdout, 'last drill run:'), /^last drill run: ok, 10d 0h ago ok/);
  });

  test('WARNING (exit 1): backup and drill past their limits; the values sit between warn and crit', async () => {
    const home = await setup({ backupAge: 30 * HOUR, drillAge: 100 * DAY });
    const result = await runCli(['status'], home.env);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    const out = parsePluginOutput(result.stdout);
    assert.equal(out.state, 'WARNING');
    for (const label of ['backup_local_age', 'backup_bucket_age', 'drill_age']) {
      const datum = out.perf.get(label)!;
      assert.ok(
        (datum.value as number) > datum.warn! && (datum.value as number) < datum.crit!,
        `${label}: ${JSON.stringify(datum)}`,
      );
    }
    assert.match(
      out.summary,
      new RegExp(
        'backup local: 30h 00m old \\(limit 26h\\) TOO OLD; backup bucket: 30h 00m old \\(limit 26h\\) TOO OLD; ' +
          'drill: 100d 0h old \\(limit 92d\\) TOO OLD',
      ),
    );
  });

  test('WARNING (exit 1): no key-era register, the line says "no key-era register: …" and what to do', async () => {
    const home = await setup({ backupAge: HOUR, drillAge: DAY, register: false });
    const result = await runCli(['status'], home.env);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.equal(parsePluginOutput(result.stdout).state, 'WARNING');
    const register = line(result.stdout, 'no key-era register: ');
    assert.match(
      register,
      new RegExp(
        '^no key-era register: neither s3://\\S+/monitoring-\\d+/key-eras\\.json.* nor \\S+/key-eras\\.json exists; ' +
          'backups record their key era as unregistered\\. What to do: run a backup with ENCRYPTION_KEY .* WARNING$',
      ),
    );
    const prom = join(home.dir, 'obexal.prom');
    await runCli(['status', '--prometheus', prom], home.env);
    assert.equal(
      sampleOf(parsePrometheus(readFileSync(prom, 'utf8')).samples, 'obexal_runbook_key_era_register_present'),
      0,
    );
  });

  test("the bucket's register wins over the local one; a damaged bucket copy is a WARNING", async () => {
    const home = await setup({ backupAge: HOUR, drillAge: DAY, register: false });
    const put = async (content: string) => {
      const file = join(home.dir, 'key-eras.json');
      writeFileSync(file, content);
      const context = contextFor(home.env);
      try {
        await uploadFile(context, { file, name: 'key-eras.json' });
      } finally {
        closeS3(context);
      }
    };
    const era = { label: 'era-7', fingerprint: 'c'.repeat(64), start: ago(9 * DAY).toISOString() };
    await put(JSON.stringify(addEra(emptyRegister(), era)));
    const good = await runCli(['status'], home.env);
    assert.equal(good.exitCode, 0, good.stdout + good.stderr);
    assert.match(
      line(good.stdout, 'key-era register:'),
      /^key-era register: 1 era\(s\), open: era-7 \(s3:\/\/\S+\/key-eras\.json.*\) ok$/,
    );

    await put('{"schema": "not a register"');
    const damaged = await runCli(['status'], home.env);
    assert.equal(damaged.exitCode, 1, damaged.stdout + damaged.stderr);
    assert.match(
      line(damaged.stdout, 'key-era register:'),
      /^key-era register: the bucket's copy is damaged: .* WARNING$/,
    );
    assert.match(line(damaged.stdout, 'backup bucket:'), / ok - /);
  });

  test('WARNING (exit 1): the last backup run failed although an older backup is still fresh', async () => {
    const home = await setup({ backupAge: 3 * HOUR, drillAge: DAY, lastBackupOutcome: 'failed' });
    const result = await runCli(['status'], home.env);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'last backup run:'), /^last backup run: failed \(exit 1\), 30m ago WARNING - /);
    assert.match(line(result.stdout, 'backup local:'), / ok - /);
    // The duration comes from the last successful run, not from the failed one.
    assert.equal(perfValue(parsePluginOutput(result.stdout), 'backup_duration'), 24.6);
  });

  test('CRITICAL (exit 2): past twice the limit, or none at all; U where there is no value', async () => {
    const home = await setup({ backupAge: 60 * HOUR });
    const result = await runCli(['status'], home.env);
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    const out = parsePluginOutput(result.stdout);
    assert.equal(out.state, 'CRITICAL');
    assert.ok(perfValue(out, 'backup_local_age') > out.perf.get('backup_local_age')!.crit!);
    assert.equal(out.perf.get('drill_age')?.value, 'U');
    assert.equal(out.perf.get('rto')?.value, 'U');
    assert.match(
      line(result.stdout, 'backup local:'),
      /^backup local: 2d 12h old \(limit 26h\) TOO OLD \(critical past 52h\) - /,
    );
    assert.match(line(result.stdout, 'drill:'), /^drill: no passing drill record in .* MISSING$/);
    assert.match(
      out.summary,
      /^backup local: .*TOO OLD \(critical past 52h\); backup bucket: .*; drill: no passing drill record/,
    );

    // A definite CRITICAL outranks an UNKNOWN (the bucket down).
    const down = await runCli(['status'], { ...home.env, S3_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(down.exitCode, 2, down.stdout);
  });

  test('UNKNOWN (exit 3): bucket unreachable, BACKUP_DIR or RECORDS_DIR unreadable, a bad command line', async () => {
    const home = await setup({ backupAge: HOUR, drillAge: DAY });
    const bucketDown = await runCli(['status'], { ...home.env, S3_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(bucketDown.exitCode, 3, bucketDown.stdout + bucketDown.stderr);
    const out = parsePluginOutput(bucketDown.stdout);
    assert.equal(out.state, 'UNKNOWN');
    assert.equal(out.perf.get('backup_bucket_age')?.value, 'U');
    assert.ok(perfValue(out, 'backup_local_age') < 2 * 3600);
    // Without the bucket the local register serves.
    assert.match(line(bucketDown.stdout, 'key-era register:'), / ok$/);

    const notAFolder = join(home.dir, 'not-a-folder');
    writeFileSync(notAFolder, 'a file where a folder should be');
    const badBackupDir = await runCli(['status'], {
      ...home.env,
      BACKUP_DIR: notAFolder,
      RECORDS_DIR: home.recordsDir,
    });
    assert.equal(badBackupDir.exitCode, 3, badBackupDir.stdout + badBackupDir.stderr);
    assert.equal(parsePluginOutput(badBackupDir.stdout).state, 'UNKNOWN');
    assert.match(
      line(badBackupDir.stdout, 'backup local:'),
      /^backup local: could not be checked: cannot read BACKUP_DIR .*ENOTDIR.* ERROR$/,
    );
    // Its register copy is unknown then, not "missing": no WARNING that would hide the UNKNOWN.
    assert.match(
      line(badBackupDir.stdout, 'key-era register:'),
      /^key-era register: could not be checked: BACKUP_DIR could not be read .* ERROR$/,
    );

    const badRecordsDir = await runCli(['status'], { ...home.env, RECORDS_DIR: notAFolder });
    assert.equal(badRecordsDir.exitCode, 3, badRecordsDir.stdout + badRecordsDir.stderr);
    assert.match(
      line(badRecordsDir.stdout, 'drill:'),
      /^drill: could not be checked: cannot read the records folder .*ENOTDIR.* ERROR$/,
    );

    const badOption = await runCli(['status', '--no-such-option'], home.env);
    assert.equal(badOption.exitCode, 3, badOption.stdout + badOption.stderr);
    assert.match(badOption.stdout, /^OBEXAL-RUNBOOK UNKNOWN - Unknown option '--no-such-option'/);
  });

  test('--json: one document whose state and exit code match the process, with items, figures, perfdata', async () => {
    const home = await setup({ backupAge: 30 * HOUR, drillAge: DAY });
    const result = await runCli(['status', '--json'], home.env);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    const doc = JSON.parse(result.stdout) as {
      state: string;
      exitCode: number;
      items: { key: string; state: string; line: string }[];
      figures: {
        backupLocal: { ageSeconds: number; at: string };
        dumpSizeBytes: number;
        rtoSeconds: number;
        lastRuns: { runbook: string; outcome: string }[];
      };
      perfdata: { label: string; value: number | null }[];
    };
    assert.equal(doc.state, 'WARNING');
    assert.equal(doc.exitCode, 1);
    assert.equal(doc.items.find((i) => i.key === 'backup_local')?.state, 'WARNING');
    assert.match(
      doc.items.find((i) => i.key === 'backup_local')?.line ?? '',
      /^backup local: 30h 00m old \(limit 26h\) TOO OLD/,
    );
    assert.equal(doc.figures.backupLocal.at, home.backup.manifest.startedAt.replace(/\.\d+Z$/, '.000Z'));
    assert.equal(doc.figures.dumpSizeBytes, 4096);
    assert.equal(doc.figures.rtoSeconds, 19.6);
    assert.deepEqual(doc.figures.lastRuns.map((r) => [r.runbook, r.outcome]).sort(), [
      ['backup', 'ok'],
      ['drill', 'ok'],
    ]);
    assert.equal(doc.perfdata.find((d) => d.label === 'dump_size')?.value, 4096);

    const failed = await runCli(['status', '--json'], { ...home.env, DRILL_MAX_AGE: 'later' });
    assert.equal(failed.exitCode, 3);
    assert.deepEqual(
      (({ state, error }) => ({ state, error }))(JSON.parse(failed.stdout) as { state: string; error: string }),
      { state: 'UNKNOWN', error: 'DRILL_MAX_AGE "later" is not a duration' },
    );
  });

  test('--prometheus FILE: every line in the text exposition format, the figures, 0644, atomically', async () => {
    const home = await setup({ backupAge: 2 * HOUR, drillAge: 5 * DAY });
    const folder = join(home.dir, 'textfile_collector');
    mkdirSync(folder);
    const file = join(folder, 'obexal_runbook.prom');
    writeFileSync(file, 'obexal_runbook_status 3\n'); // an earlier run's file: replaced whole
    const result = await runCli(['status', '--prometheus', file], {
      ...home.env,
      AWS_SECRET_ACCESS_KEY: s3.env.AWS_SECRET_ACCESS_KEY,
    });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.equal(parsePluginOutput(result.stdout).state, 'OK', 'the plugin text is printed as well');
    assert.deepEqual(readdirSync(folder), ['obexal_runbook.prom'], 'no temporary file left beside it');
    assert.equal(statSync(file).mode & 0o777, 0o644);

    const text = readFileSync(file, 'utf8');
    const { samples, types } = parsePrometheus(text);
    for (const [name, type] of types) assert.equal(type, 'gauge', name);
    const at = (iso: string) => Date.parse(iso) / 1000;
    assert.equal(sampleOf(samples, 'obexal_runbook_status'), 0);
    assert.equal(
      sampleOf(samples, 'obexal_runbook_last_backup_timestamp_seconds', { location: 'local' }),
      at(home.backup.manifest.startedAt),
    );
    assert.equal(
      sampleOf(samples, 'obexal_runbook_last_backup_timestamp_seconds', { location: 'bucket' }),
      at(home.backup.manifest.startedAt),
    );
    assert.ok(
      Math.abs(
        (sampleOf(samples, 'obexal_runbook_last_drill_timestamp_seconds') ?? 0) - (Date.now() / 1000 - 5 * 86400),
      ) < 300,
    );
    assert.equal(sampleOf(samples, 'obexal_runbook_dump_size_bytes'), 4096);
    assert.equal(sampleOf(samples, 'obexal_runbook_dump_duration_seconds'), 5);
    assert.equal(sampleOf(samples, 'obexal_runbook_backup_duration_seconds'), 24.6);
    assert.equal(sampleOf(samples, 'obexal_runbook_drill_rto_seconds'), 19.6);
    assert.equal(sampleOf(samples, 'obexal_runbook_rto_target_seconds'), 1800);
    assert.equal(sampleOf(samples, 'obexal_runbook_backup_max_age_seconds'), 26 * 3600);
    assert.equal(sampleOf(samples, 'obexal_runbook_last_run_success', { runbook: 'backup' }), 1);
    assert.equal(sampleOf(samples, 'obexal_runbook_last_run_success', { runbook: 'drill' }), 1);
    assert.equal(sampleOf(samples, 'obexal_runbook_key_era_register_present'), 1);
    assert.ok(
      !text.includes(s3.env.AWS_SECRET_ACCESS_KEY as string) && !text.includes(home.dir),
      'no secret and no path in the metrics',
    );

    // A folder that cannot take the file: UNKNOWN, said on the prometheus line, nothing left behind.
    const missing = join(home.dir, 'no-such-folder', 'obexal.prom');
    const unwritable = await runCli(['status', '--prometheus', missing], home.env);
    assert.equal(unwritable.exitCode, 3, unwritable.stdout + unwritable.stderr);
    assert.match(
      line(unwritable.stdout, 'prometheus file:'),
      /^prometheus file: .*no-such-folder\/obexal\.prom could not be written: ENOENT; check that the folder .* ERROR$/,
    );
  });
});
