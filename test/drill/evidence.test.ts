/**
 * What a drill leaves as evidence, beyond its own record: the history of earlier drills shown before the next one
 * (and kept in its record), `obexal-runbook status` reading the same records folder the drill writes to, and a
 * record copied to the bucket the moment it is written. Real CLI, real s3rver, real records.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveSettings } from '../../src/core/settings.js';
import { replicateRecordNow } from '../../src/records/replicate.js';
import { closeS3, openS3 } from '../../src/s3/client.js';
import { downloadToFile } from '../../src/s3/download.js';
import { listObjects } from '../../src/s3/objects.js';
import { s3SettingsFromEnv } from '../../src/s3/settings.js';
import { runCli } from '../helpers/cli.js';
import { drill, readRecord, recordPathOf, startDrillSandbox, stepOf, type DrillSandbox } from './fixture.js';

describe('drill evidence: history, status, records in the bucket', { timeout: 600_000 }, () => {
  let sandbox: DrillSandbox;
  const recordPaths: string[] = [];
  let lastDrillStdout = '';
  before(async () => {
    sandbox = await startDrillSandbox();
    // The s3rver credentials, for the SDK's default chain in this process (replicateRecordNow, the checks below).
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: sandbox.env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: sandbox.env.AWS_SECRET_ACCESS_KEY,
    });
  });
  after(async () => {
    await sandbox?.stop();
  });

  it('the first drill sets the baseline; the next ones show the earlier RTOs, the trend and what to expect', async () => {
    const first = await drill(sandbox);
    assert.equal(first.exitCode, 0, first.stdout.slice(-3000));
    assert.match(first.stdout, /\+ history: ok in \S+: no earlier drill on record: this drill sets the baseline/);
    recordPaths.push(recordPathOf(first.stdout));
    const firstRecord = readRecord(recordPaths[0] as string);
    assert.deepEqual(firstRecord.details.history, {
      earlierDrills: 0,
      measured: 0,
      trend: 'unknown',
      expectedRtoMs: null,
      lastPassedAt: null,
    });
    assert.equal(firstRecord.details.drill?.rto.expectedMs ?? null, null);

    const failed = await drill(sandbox, [], { DRILL_PASSWORD: 'not-the-drill-password' });
    assert.equal(failed.exitCode, 1, failed.stdout.slice(-3000));
    recordPaths.push(recordPathOf(failed.stdout));

    const third = await drill(sandbox);
    assert.equal(third.exitCode, 0, third.stdout.slice(-3000));
    recordPaths.push(recordPathOf(third.stdout));
    lastDrillStdout = third.stdout;
    // Two earlier drills, one of them measured (the failed one has no RTO): a sparkline of one bar, trend unknown.
    assert.match(
      third.stdout,
      /\+ history: ok in \S+: 2 earlier drill\(s\), RTO [▁▂▃▄▅▆▇█], trend unknown \(one measured drill\); next drill expected ~[\d.]+\S* \S*\s*\(RTO_TARGET 30m\)/,
    );
    assert.match(third.stdout, /failed\s+no RTO \(failed: login, mfa, me\)/, 'the failed drill is listed with why');
    const record = readRecord(recordPaths[2] as string);
    const history = record.details.history as {
      earlierDrills: number;
      measured: number;
      expectedRtoMs: number;
      lastPassedAt: string;
    };
    assert.equal(history.earlierDrills, 2);
    assert.equal(history.measured, 1);
    assert.equal(history.expectedRtoMs, firstRecord.details.drill?.rto.ms, 'one measured drill: it is the expectation');
    assert.equal(history.lastPassedAt, firstRecord.finishedAt);
    assert.equal(record.details.drill?.rto.expectedMs, history.expectedRtoMs);
    assert.match(stepOf(record, 'rto').message ?? '', /\(target 30m: met\), expected ~\S+.* from 1 earlier drill\(s\)/);
  });

  it('status reports the age of the last passing drill from the folder the drill writes its records to', async () => {
    const status = await runCli(['status'], sandbox.env);
    assert.equal(status.exitCode, 0, status.stdout + status.stderr);
    // The newest passing drill is the third one (the second failed).
    assert.match(
      status.stdout,
      new RegExp(
        `^drill: \\S+ old \\(limit 92d\\) ok - ${basename(recordPaths[2] as string).replace(/\./g, '\\.')}$`,
        'm',
      ),
    );
    const overdue = await runCli(['status'], { ...sandbox.env, DRILL_MAX_AGE: '1ms' });
    assert.equal(overdue.exitCode, 2, overdue.stdout); // past twice DRILL_MAX_AGE: CRITICAL (was 5 before issue 11)
    assert.match(overdue.stdout, /^drill: .* TOO OLD/m);
    const elsewhere = await runCli(['status'], { ...sandbox.env, RECORDS_DIR: `${sandbox.stack.dir}/no-records-here` });
    assert.equal(elsewhere.exitCode, 2); // no passing drill at all: CRITICAL (was 5 before issue 11)
    assert.match(elsewhere.stdout, /^drill: no passing drill record in .*no-records-here .*MISSING/m);
  });

  it('the record of every run goes to the bucket the moment it is written, byte for byte with its signature', async () => {
    const settings = resolveSettings({ env: sandbox.env, configDir: sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string });
    const newest = recordPaths[2] as string;
    const file = basename(newest);
    const context = openS3(s3SettingsFromEnv(sandbox.env));
    try {
      // The run itself copied its record the moment it was written, and said so.
      assert.match(lastDrillStdout, new RegExp(`record copied to the bucket: 2 file\\(s\\) under obexal/records/`));
      const inBucket = (await listObjects(context, { under: 'records/' })).map((o) => o.name);
      assert.ok(
        inBucket.includes(`records/${file}`) && inBucket.includes(`records/${file}.sig`),
        'the newest record and its signature are in the bucket',
      );
      for (const name of [file, `${file}.sig`]) {
        const copy = join(sandbox.stack.dir, `bucket-copy-${name}`);
        await downloadToFile(context, `records/${name}`, copy);
        assert.deepEqual(readFileSync(copy), readFileSync(join(dirname(newest), name)), name);
      }
      assert.deepEqual(
        await replicateRecordNow(settings, newest),
        { configured: true, uploaded: [] },
        'already there: nothing uploaded again',
      );
    } finally {
      closeS3(context);
    }
    // A bucket that does not answer: a problem to report, never an exception that would fail the run.
    const unreachable = resolveSettings({
      env: { ...sandbox.env, S3_ENDPOINT: 'http://127.0.0.1:9' },
      configDir: sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string,
    });
    const down = await replicateRecordNow(unreachable, newest, { timeoutMs: 20_000 });
    assert.equal(down.configured, true);
    assert.deepEqual(down.uploaded, []);
    assert.ok(down.problem, 'a problem is reported');
    const off = resolveSettings({
      env: { ...sandbox.env, S3_BUCKET: '' },
      configDir: sandbox.env.OBEXAL_RUNBOOK_CONFIG_DIR as string,
    });
    assert.deepEqual(await replicateRecordNow(off, newest), { configured: false, uploaded: [] });
  });
});
