/** The pure parts of PITR: targets, the reachable window, the backup type, the settings, the configuration text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { chooseType } from '../../src/pitr/backup-run.js';
import { configLines, renderConfig } from '../../src/pitr/config-file.js';
import type { PhysicalBackup, StanzaInfo } from '../../src/pitr/info.js';
import { parseInfo } from '../../src/pitr/info.js';
import { parsePitrSettings } from '../../src/pitr/settings.js';
import { fullBackupTime, retentionWithPins } from '../../src/pitr/pins.js';
import type { SourceCluster } from '../../src/pitr/source.js';
import { checkReachable, parseRecoveryTarget, pgBackRestTime, restoreTargetArgs } from '../../src/pitr/window.js';

const backup = (label: string, type: PhysicalBackup['type'], stop: string): PhysicalBackup => ({
  label,
  type,
  timestamp: { start: Date.parse(stop) / 1000 - 60, stop: Date.parse(stop) / 1000 },
  info: { size: 1, repository: { size: 1 } },
});

const settingsOf = (values: Record<string, string>) => ({
  get: (name: string) => values[name],
  require: (name: string) => {
    const value = values[name];
    if (!value) throw new UsageError(`${name} is not set`);
    return value;
  },
});

describe('recovery targets', () => {
  it('reads latest, a zoned time and a backup label; refuses a time without a zone and nonsense', () => {
    assert.deepEqual(parseRecoveryTarget('latest'), { kind: 'latest' });
    assert.deepEqual(parseRecoveryTarget('2026-12-02T14:32:00+01:00'), {
      kind: 'time',
      at: '2026-12-02T13:32:00.000Z',
    });
    assert.deepEqual(parseRecoveryTarget('20261202-163609F_20261202-170000I'), {
      kind: 'backup',
      label: '20261202-163609F_20261202-170000I',
    });
    assert.throws(() => parseRecoveryTarget('2026-12-02 14:32'), /no time zone/);
    assert.throws(() => parseRecoveryTarget('yesterday'), UsageError);
  });

  it('gives pgBackRest a time it can select a backup set with, and pauses at the target', () => {
    assert.equal(pgBackRestTime('2026-12-02T13:32:00.000Z'), '2026-12-02 13:32:00.000+00');
    assert.deepEqual(restoreTargetArgs({ kind: 'time', at: '2026-12-02T13:32:00.000Z' }), [
      '--type=time',
      '--target=2026-12-02 13:32:00.000+00',
      '--target-action=pause',
    ]);
    assert.deepEqual(restoreTargetArgs({ kind: 'latest' }), ['--type=default']);
  });

  it('refuses a time outside the window, naming it; warns when the end of the archive is unknown', () => {
    const backups = [
      backup('20261201-000000F', 'full', '2026-12-01T00:01:00Z'),
      backup('20261201-000000F_20261202-000000I', 'incr', '2026-12-02T00:01:00Z'),
    ];
    assert.throws(
      () => checkReachable({ kind: 'time', at: '2026-11-30T00:00:00.000Z' }, backups, null),
      (error: UsageError) =>
        /before the oldest/.test(error.message) &&
        /reachable window is 2026-12-01T00:01:00.000Z to/.test(error.hint ?? ''),
    );
    assert.throws(
      () => checkReachable({ kind: 'time', at: '2026-12-02T12:00:00.000Z' }, backups, '2026-12-02T10:00:00.000Z'),
      /after the last archived WAL/,
    );
    assert.equal(
      checkReachable({ kind: 'time', at: '2026-12-02T09:00:00.000Z' }, backups, '2026-12-02T10:00:00.000Z'),
      null,
    );
    assert.match(String(checkReachable({ kind: 'time', at: '2026-12-02T09:00:00.000Z' }, backups, null)), /unknown/);
    assert.throws(() => checkReachable({ kind: 'latest' }, [], null), /no good backup/);
    assert.throws(
      () => checkReachable({ kind: 'backup', label: '20261203-000000F' }, backups, null),
      (error: UsageError) =>
        /no backup 20261203-000000F/.test(error.message) && /choose one of: 20261201-000000F,/.test(error.hint ?? ''),
    );
  });
});

describe('physical backup type', () => {
  const info = (backups: PhysicalBackup[]): StanzaInfo => ({
    name: 's',
    status: { code: 0, message: 'ok' },
    backup: backups,
    archive: [],
  });
  const week = 7 * 24 * 3600_000;
  it('auto is full with no recent full backup, incremental otherwise; an explicit type is kept', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    assert.equal(chooseType('auto', undefined, week, now), 'full');
    assert.equal(chooseType('auto', info([backup('a', 'full', '2026-11-20T00:00:00Z')]), week, now), 'full');
    assert.equal(chooseType('auto', info([backup('a', 'full', '2026-11-30T00:00:00Z')]), week, now), 'incr');
    assert.equal(chooseType('diff', undefined, week, now), 'diff');
  });

  it('parses pgbackrest info --output=json and names a missing stanza', () => {
    const text = JSON.stringify([
      { name: 'obexal', status: { code: 0, message: 'ok' }, backup: [], archive: [], cipher: 'aes-256-cbc', db: [] },
    ]);
    assert.equal(parseInfo(text, 'obexal').name, 'obexal');
    assert.throws(() => parseInfo(text, 'other'), /no stanza other/);
    assert.throws(() => parseInfo('not json', 'obexal'), /did not print JSON/);
  });
});

describe('PITR settings and configuration', () => {
  it('refuses an HTTP endpoint (pgBackRest speaks HTTPS only) and a bad stanza', () => {
    assert.throws(
      () => parsePitrSettings(settingsOf({ S3_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:9000' })),
      /HTTPS only/,
    );
    assert.throws(() => parsePitrSettings(settingsOf({ S3_BUCKET: 'b', PITR_STANZA: '../x' })), /not a stanza name/);
    const parsed = parsePitrSettings(
      settingsOf({ S3_BUCKET: 'b', PITR_S3_ENDPOINT: 'https://minio.example:9000', S3_PREFIX: 'obexal/' }),
    );
    assert.deepEqual(
      [parsed.repository.host, parsed.repository.port, parsed.repository.path],
      ['minio.example', 9000, '/obexal/pgbackrest'],
    );
  });

  it('the shown configuration never holds a secret; the written one does', () => {
    const settings = parsePitrSettings(settingsOf({ S3_BUCKET: 'b', S3_REGION: 'eu-west-1' }));
    const source = { dataDir: '/d', port: 5432, socketDir: '/run/postgresql' } as SourceCluster;
    const lines = configLines(
      settings,
      source,
      { cipherPass: 'PASS-123', s3Key: 'AKIA', s3KeySecret: 'SECRET-9', s3Token: undefined, databasePassword: 'x' },
      'postgres',
    );
    const shown = renderConfig(lines, 'obexal', { showSecrets: false });
    assert.ok(!shown.includes('PASS-123') && !shown.includes('SECRET-9') && !shown.includes('AKIA'));
    assert.match(shown, /repo1-cipher-type=aes-256-cbc/);
    assert.match(shown, /repo1-retention-full=14/);
    assert.match(renderConfig(lines, 'obexal', { showSecrets: true }), /repo1-cipher-pass=PASS-123/);
  });
});

describe('pins of physical backups', () => {
  const now = new Date('2026-12-02T12:00:00Z');
  it('reads the full backup time from a full or an incremental label', () => {
    assert.equal(fullBackupTime('20261001-020304F')?.toISOString(), '2026-10-01T02:03:04.000Z');
    assert.equal(fullBackupTime('20261001-020304F_20261120-010000I')?.toISOString(), '2026-10-01T02:03:04.000Z');
    assert.equal(fullBackupTime('not-a-label'), undefined);
  });

  it('widens the retention to the oldest live pin, and ignores expired pins', () => {
    const pin = (label: string, until: string) => ({ label, until, reason: 'pre-migration' });
    assert.equal(retentionWithPins(14, [], now), 14);
    assert.equal(retentionWithPins(14, [pin('20261001-000000F', '2027-01-01T00:00:00Z')], now), 64);
    assert.equal(retentionWithPins(14, [pin('20261001-000000F', '2026-11-01T00:00:00Z')], now), 14);
    assert.equal(retentionWithPins(14, [pin('20261130-000000F', '2027-01-01T00:00:00Z')], now), 14);
  });
});
