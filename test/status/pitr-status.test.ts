/**
 * Point-in-time recovery in `status`, through the real executable against throwaway clusters (no pgBackRest: status
 * only asks PostgreSQL): OK while a `cp` archive_command works; CRITICAL naming the failing segment once
 * archive_command is `false`; the INFO line with archive_mode off (CRITICAL when the PITR configuration file
 * exists); UNKNOWN for an unreachable database. Perfdata and the Prometheus textfile parsed by their specs' rules.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compactUtc } from '../../src/backup/manifest.js';
import { addEra, emptyRegister } from '../../src/eras/register.js';
import { writeLocalRegister } from '../../src/eras/store.js';
import { startCluster, type Cluster } from '../../src/pg/cluster.js';
import { runCli, testHome } from '../helpers/cli.js';
import { freshDatabase, withCluster, withDatabaseUrl } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';
import { ago, DAY, HOUR, writeFakeBackup } from '../retention/fixture.js';
import { closedPort } from '../s3/fixture.js';
import { parsePluginOutput, parsePrometheus, perfValue, sampleOf } from './plugin-parse.js';

const archiveDir = tempDir('obexal-wal-archive-');
chmodSync(archiveDir, 0o777); // the server runs as postgres and copies the segments here
const archiving = withCluster({
  settings: { wal_level: 'replica', archive_mode: 'on', archive_command: `cp %p ${archiveDir}/%f` },
});

function writeRecord(recordsDir: string, runbook: string, outcome: 'ok' | 'failed', finishedAt: Date): string {
  mkdirSync(recordsDir, { recursive: true, mode: 0o700 });
  const runId = `${compactUtc(finishedAt)}-${Math.random().toString(16).slice(2, 8)}`;
  const file = `${compactUtc(finishedAt)}-${runbook}-${runId}.json`;
  const startedAt = new Date(finishedAt.getTime() - 10 * 60_000).toISOString();
  const record = {
    schema: 'obexal-runbook-record@v1',
    runId,
    runbook,
    outcome,
    exitCode: outcome === 'ok' ? 0 : 1,
    startedAt,
    finishedAt: finishedAt.toISOString(),
  };
  writeFileSync(join(recordsDir, file), JSON.stringify(record, null, 2), { mode: 0o600 });
  return file;
}

interface Home {
  env: Record<string, string>;
  dir: string;
  recordsDir: string;
  pitrConfigFile: string;
}

/** Everything else status checks is fresh (local backup, register, drill): the PITR lines decide the state. */
async function home(databaseUrl: string): Promise<Home> {
  const { dir, env } = testHome('obexal-pitr-status-');
  const backupDir = env.BACKUP_DIR as string;
  const recordsDir = join(backupDir, 'records');
  await writeFakeBackup(backupDir, { takenAt: ago(HOUR) });
  const era = { label: 'era-1', fingerprint: 'c'.repeat(64), start: ago(30 * DAY).toISOString() };
  await writeLocalRegister(backupDir, addEra(emptyRegister(), era));
  writeRecord(recordsDir, 'drill', 'ok', ago(DAY));
  const pitrConfigFile = join(dir, 'pgbackrest.conf');
  const pitrEnv = { DATABASE_URL: databaseUrl, PITR_CONFIG_FILE: pitrConfigFile };
  return { dir, recordsDir, pitrConfigFile, env: { ...env, ...pitrEnv } };
}

const line = (stdout: string, start: string): string =>
  stdout.split('\n').find((l) => l.startsWith(start)) ?? `(no "${start}" line in: ${stdout})`;

interface Archiver {
  archived_count: string;
  last_archived_wal: string | null;
  failed_count: string;
  last_failed_wal: string | null;
  current_wal: string;
}

const archiverOf = (url: string): Promise<Archiver> =>
  withDatabaseUrl(url, async (client) => {
    const result = await client.query<Archiver>(
      'SELECT a.*, pg_walfile_name(pg_current_wal_lsn()) AS current_wal FROM pg_stat_archiver a',
    );
    return result.rows[0] as Archiver;
  });

/** Writes a little WAL and switches to a new segment; returns the name of the segment it completed. */
const switchWal = (url: string): Promise<string> =>
  withDatabaseUrl(url, async (client) => {
    await client.query('CREATE TABLE IF NOT EXISTS wal_filler (n int); INSERT INTO wal_filler VALUES (1)');
    const result = await client.query<{ file: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file');
    return result.rows[0]?.file as string;
  });

async function waitFor(what: string, url: string, done: (a: Archiver) => boolean): Promise<Archiver> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const state = await archiverOf(url);
    if (done(state)) return state;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await archiverOf(url))}`);
}

describe('status: point-in-time recovery', () => {
  let cluster: Cluster;
  let url: string;

  before(async () => {
    cluster = await archiving;
    url = await freshDatabase(cluster, 'pitr_status');
  });

  test('OK while archiving works: nothing waits; perfdata and Prometheus gain WAL and physical backup', async () => {
    const completed = await switchWal(url);
    await waitFor(`${completed} archived`, url, (a) => a.last_archived_wal === completed);
    assert.ok(readdirSync(archiveDir).includes(completed), 'the cp archive_command copied the segment');
    const h = await home(url);
    writeRecord(h.recordsDir, 'physical-backup', 'ok', ago(2 * HOUR));
    const prom = join(h.dir, 'obexal.prom');
    const result = await runCli(['status', '--prometheus', prom], h.env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const out = parsePluginOutput(result.stdout);
    assert.equal(out.state, 'OK');
    assert.match(
      line(result.stdout, 'wal archiving:'),
      new RegExp(`^wal archiving: nothing waiting, the last segment ${completed} archived, \\d+m ago ok$`),
    );
    const physical = line(result.stdout, 'physical backup:');
    assert.match(physical, /^physical backup: 2h 00m old \(limit 26h\) ok - \S+-physical-backup-\S+\.json$/);
    assert.match(out.summary, /physical backup 2h 00m old/);
    assert.deepEqual(out.perf.get('wal_archive_lag'), { value: 0, uom: 's', warn: 900, crit: 1800, min: 0 });
    assert.deepEqual(out.perf.get('wal_pending'), { value: 0, uom: '', min: 0 });
    assert.ok(Math.abs(perfValue(out, 'physical_backup_age') - 2 * 3600) <= 120);
    assert.deepEqual(
      { ...out.perf.get('physical_backup_age'), value: 0 },
      {
        value: 0,
        uom: 's',
        warn: 26 * 3600,
        crit: 52 * 3600,
        min: 0,
      },
    );

    const { samples, help, types } = parsePrometheus(readFileSync(prom, 'utf8'));
    const metric = (name: string) => sampleOf(samples, `obexal_runbook_${name}`);
    assert.equal(metric('status'), 0);
    assert.equal(metric('wal_archive_mode_on'), 1);
    assert.equal(metric('wal_archive_failing'), 0);
    assert.equal(metric('wal_archive_lag_seconds'), 0);
    assert.equal(metric('wal_pending_segments'), 0);
    assert.equal(metric('pitr_max_archive_lag_seconds'), 900);
    assert.ok(Math.abs((metric('last_physical_backup_timestamp_seconds') ?? 0) - (Date.now() / 1000 - 7200)) < 120);
    assert.ok(Math.abs((metric('wal_last_archived_timestamp_seconds') ?? 0) - Date.now() / 1000) < 600);
    for (const name of ['wal_archive_lag_seconds', 'wal_pending_segments', 'last_physical_backup_timestamp_seconds']) {
      assert.equal(types.get(`obexal_runbook_${name}`), 'gauge');
      assert.ok(help.get(`obexal_runbook_${name}`), `${name} has a HELP line`);
    }

    const json = await runCli(['status', '--json'], h.env);
    const document = JSON.parse(json.stdout) as { figures: { walArchive: Record<string, unknown> } };
    assert.equal(document.figures.walArchive.failing, false);
    assert.equal(document.figures.walArchive.lastArchivedWal, completed);
    assert.equal(document.figures.walArchive.pendingSegments, 0);
  });

  test('WARNING when the newest physical-backup run failed, while the last good one is still fresh', async () => {
    const h = await home(url);
    writeRecord(h.recordsDir, 'physical-backup', 'ok', ago(3 * HOUR));
    writeRecord(h.recordsDir, 'physical-backup', 'failed', ago(HOUR));
    const result = await runCli(['status'], h.env);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'physical backup:'), /^physical backup: 3h 00m old \(limit 26h\) ok/);
    assert.match(line(result.stdout, 'last physical-backup run:'), /failed \(exit 1\), 1h 00m ago WARNING/);
  });

  test('CRITICAL when no physical backup succeeded although the PITR configuration file exists', async () => {
    const h = await home(url);
    writeFileSync(h.pitrConfigFile, '[global]\n', { mode: 0o600 });
    const result = await runCli(['status'], h.env);
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      line(result.stdout, 'physical backup:'),
      new RegExp(
        '^physical backup: no successful physical-backup record in \\S+; take one: obexal-runbook physical-backup ' +
          '.*MISSING$',
      ),
    );
    assert.equal(parsePluginOutput(result.stdout).perf.get('physical_backup_age')?.value, 'U');
  });

  test('UNKNOWN (exit 3), not a crash, when DATABASE_URL does not answer', async () => {
    const h = await home(`postgres://obexal:secret@127.0.0.1:${await closedPort()}/obexal`);
    const result = await runCli(['status'], h.env);
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.match(line(result.stdout, 'wal archiving:'), /^wal archiving: could not be checked: .+ ERROR$/);
    assert.doesNotMatch(result.stdout + result.stderr, /secret/);
    assert.equal(parsePluginOutput(result.stdout).perf.get('wal_archive_lag')?.value, 'U');
  });

  test('PITR_MAX_ARCHIVE_LAG=off: no WAL check, so an unreachable database does not make status UNKNOWN', async () => {
    const h = await home(`postgres://obexal:secret@127.0.0.1:${await closedPort()}/obexal`);
    const result = await runCli(['status'], { ...h.env, PITR_MAX_ARCHIVE_LAG: 'off' });
    assert.notEqual(result.exitCode, 3, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /^wal archiving:/m);
  });

  test('segments waiting: OK within PITR_MAX_ARCHIVE_LAG, CRITICAL past twice it', async () => {
    const archived = await switchWal(url);
    const before = await waitFor(`${archived} archived`, url, (a) => a.last_archived_wal === archived);
    const gate = join(archiveDir, `gate-${Math.random().toString(16).slice(2, 8)}`);
    // Waits (2 minutes at most) until the test opens the gate: the segment stays complete and not archived.
    const wait = `i=0; while [ ! -e ${gate} ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done`;
    const held = `${wait}; cp %p ${archiveDir}/%f`;
    await withDatabaseUrl(url, async (client) => {
      await client.query(`ALTER SYSTEM SET archive_command = '${held.replace(/'/g, "''")}'`);
      await client.query('SELECT pg_reload_conf()');
    });
    await sleep(500); // the archiver reads the reloaded configuration on its next loop
    try {
      await switchWal(url);
      await sleep(2_500); // the last archived segment is now more than twice 1s old
      const h = await home(url);
      const relaxed = await runCli(['status'], { ...h.env, PITR_MAX_ARCHIVE_LAG: '1h' });
      assert.equal(relaxed.exitCode, 0, relaxed.stdout + relaxed.stderr);
      assert.match(
        line(relaxed.stdout, 'wal archiving:'),
        new RegExp(
          `^wal archiving: 1 segment waiting, the last archived \\(${archived}\\) is \\d+m old \\(limit 1h\\) ok$`,
        ),
      );
      const strict = await runCli(['status'], { ...h.env, PITR_MAX_ARCHIVE_LAG: '1s' });
      assert.equal(strict.exitCode, 2, strict.stdout + strict.stderr);
      const out = parsePluginOutput(strict.stdout);
      assert.match(out.summary, /wal archiving: 1 segment waiting, .* \(limit 1s\) TOO OLD \(critical past 2s\)/);
      assert.equal(perfValue(out, 'wal_pending'), 1);
      const lag = out.perf.get('wal_archive_lag');
      assert.ok(lag && (lag.value as number) > 2 && lag.warn === 1 && lag.crit === 2, JSON.stringify(lag));
      assert.equal((await archiverOf(url)).last_archived_wal, before.last_archived_wal, 'nothing archived meanwhile');
    } finally {
      writeFileSync(gate, '');
    }
    await waitFor('the held segment archived', url, (a) => a.last_archived_wal !== before.last_archived_wal);
  });

  test('CRITICAL naming the failing segment once archive_command fails', async () => {
    const archived = await switchWal(url); // one success first, whichever tests ran before
    await waitFor(`${archived} archived`, url, (a) => a.last_archived_wal === archived);
    await withDatabaseUrl(url, async (client) => {
      await client.query("ALTER SYSTEM SET archive_command = 'false'");
      await client.query('SELECT pg_reload_conf()');
    });
    await sleep(500); // the archiver reads the reloaded configuration on its next loop
    const failedBefore = Number((await archiverOf(url)).failed_count);
    const completed = await switchWal(url);
    const state = await waitFor('a failure', url, (a) => Number(a.failed_count) > failedBefore);
    assert.equal(state.last_failed_wal, completed);

    const h = await home(url);
    const prom = join(h.dir, 'obexal.prom');
    const result = await runCli(['status', '--prometheus', prom], h.env);
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    const out = parsePluginOutput(result.stdout);
    assert.equal(out.state, 'CRITICAL');
    const failing = line(result.stdout, 'wal archiving:');
    assert.match(
      failing,
      new RegExp(
        `^wal archiving: archive_command fails for segment ${completed} since the last success at \\S+Z ` +
          `\\(\\d+ failures? counted, the last at \\S+Z\\); .*read the PostgreSQL server log; ` +
          '`pgbackrest --config=\\S+ --stanza=obexal check` .* FAILING$',
      ),
    );
    assert.match(out.summary, new RegExp(`wal archiving: archive_command fails for segment ${completed}`));
    assert.ok(perfValue(out, 'wal_pending') >= 1, 'the failing segment waits');
    assert.equal(typeof perfValue(out, 'wal_archive_lag'), 'number');
    const samples = parsePrometheus(readFileSync(prom, 'utf8')).samples;
    assert.equal(sampleOf(samples, 'obexal_runbook_status'), 2);
    assert.equal(sampleOf(samples, 'obexal_runbook_wal_archive_failing'), 1);
    assert.ok((sampleOf(samples, 'obexal_runbook_wal_pending_segments') ?? 0) >= 1);
  });
});

describe('status: archive_mode off', () => {
  let plain: Cluster;
  let url: string;

  before(async () => {
    plain = await startCluster();
    url = plain.url();
  });
  after(async () => {
    await plain?.stop();
  });

  test('an INFO line points at pitr-setup; the state stays OK; no physical backup line without a record', async () => {
    const h = await home(url);
    const result = await runCli(['status'], h.env);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.equal(
      line(result.stdout, 'wal archiving:'),
      'wal archiving: point-in-time recovery is not set up (archive_mode is off); to set it up: ' +
        'obexal-runbook pitr-setup',
    );
    assert.doesNotMatch(result.stdout, /^physical backup:/m);
    const out = parsePluginOutput(result.stdout);
    assert.equal(out.perf.get('wal_pending')?.value, 'U');
    assert.equal(out.perf.has('physical_backup_age'), false);
  });

  test('CRITICAL when the PITR configuration file exists: archiving was meant to be on', async () => {
    const h = await home(url);
    writeFileSync(h.pitrConfigFile, '[global]\n', { mode: 0o600 });
    writeRecord(h.recordsDir, 'physical-backup', 'ok', ago(HOUR));
    const result = await runCli(['status'], h.env);
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      line(result.stdout, 'wal archiving:'),
      new RegExp(`^wal archiving: archive_mode is off although ${h.pitrConfigFile} exists: .*pitr-setup.* OFF$`),
    );
  });
});
