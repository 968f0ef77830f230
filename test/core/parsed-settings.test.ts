/** parseSettings: one parse, typed sections, defaults from SETTINGS, every problem reported at once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import {
  InvalidSettingsError,
  parseSettings,
  parsedBucketOf,
  parsedSettingsOf,
  plainSettingsOf,
} from '../../src/core/parsed-settings.js';
import { resolveSettings } from '../../src/core/settings.js';

const configDir = '/nonexistent/obexal-runbook-config';
const parse = (env: Record<string, string>) => parseSettings(resolveSettings({ env, configDir }));

describe('parseSettings', () => {
  it('states the defaults of SETTINGS, typed', () => {
    const config = parse({});
    assert.equal(config.backup.dir, '/var/backups/obexal');
    assert.equal(config.backup.retentionDays, 14);
    assert.deepEqual(config.backup.compression, { codec: 'zstd', level: 1 });
    assert.equal(config.backup.encryption, 'age');
    assert.equal(config.bucket, undefined, 'no S3_BUCKET: no bucket section');
    assert.equal(config.logos, undefined);
    assert.equal(config.drill.tenant, 'drill');
    assert.equal(config.drill.rtoTarget, '30m');
    assert.equal(config.database.restoreNoOwner, 'auto');
    assert.equal(config.records.dir, `${configDir}/records`, 'BACKUP_DIR by default: records under the config folder');
    assert.equal(config.profile['PROFILE_AUDIT_TABLE'], 'audit_log');
    assert.equal(config.pitr.stanza, 'obexal');
  });

  it('parses the bucket section once, with numbers, booleans and enums typed', () => {
    const config = parse({
      S3_BUCKET: 'backups',
      S3_PREFIX: '/prod',
      S3_FORCE_PATH_STYLE: 'yes',
      S3_CHECKSUM: 'when_required',
      S3_ENDPOINT: 'http://127.0.0.1:9000/',
      ALLOWED_DATA_REGIONS: 'eu, EU',
      BACKUP_DIR: '/srv/dumps',
      RETENTION_DAYS: '30',
    });
    assert.deepEqual(config.bucket, {
      bucket: 'backups',
      prefix: 'prod/',
      region: 'eu-central-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      checksum: 'WHEN_REQUIRED',
      allowedRegions: ['eu'],
    });
    assert.equal(config.backup.retentionDays, 30);
    assert.equal(config.records.dir, '/srv/dumps/records', 'a named BACKUP_DIR holds the records');
  });

  it('names a bad number with its own message and hint when it is the only problem', () => {
    assert.throws(
      () => parse({ RETENTION_DAYS: 'fourteen' }),
      (e: unknown) =>
        e instanceof UsageError &&
        !(e instanceof InvalidSettingsError) &&
        e.exitCode === 2 &&
        e.message === 'RETENTION_DAYS "fourteen" is not a positive whole number of days' &&
        /set RETENTION_DAYS to a number of days/.test(e.hint ?? ''),
    );
  });

  it('reports every problem at once, each named, in one usage error', () => {
    const env = {
      RETENTION_DAYS: '0',
      BACKUP_COMPRESSION: '42',
      BACKUP_ENCRYPTION: 'rot13',
      S3_BUCKET: 's3://backups/x',
      S3_FORCE_PATH_STYLE: 'maybe',
      S3_CHECKSUM: 'ALWAYS',
      ALLOWED_DATA_REGIONS: 'eu-',
    };
    assert.throws(
      () => parse(env),
      (e: unknown) => {
        assert.ok(e instanceof InvalidSettingsError);
        assert.equal(e.exitCode, 2);
        assert.equal(e.problems.length, 7);
        assert.match(e.message, /^7 settings are invalid:/);
        for (const expected of [
          /RETENTION_DAYS "0" is not a positive whole number of days/,
          /BACKUP_COMPRESSION "42" is not a gzip level from 0 to 9/,
          /BACKUP_ENCRYPTION "rot13" is neither age nor none/,
          /S3_BUCKET must be a bucket name, got "s3:\/\/backups\/x"/,
          /S3_FORCE_PATH_STYLE must be true or false, got "maybe"/,
          /S3_CHECKSUM must be WHEN_SUPPORTED or WHEN_REQUIRED, got "ALWAYS"/,
          /ALLOWED_DATA_REGIONS entry "eu-" is not a region name or prefix/,
        ])
          assert.match(e.message, expected);
        assert.match(e.hint ?? '', /obexal-runbook config/);
        return true;
      },
    );
  });

  it('parses an invocation once: the same object on every read, the same error on every failed read', () => {
    const settings = resolveSettings({ env: { BACKUP_COMPRESSION: '5' }, configDir });
    assert.equal(parsedSettingsOf(settings), parsedSettingsOf(settings));
    const bad = resolveSettings({ env: { BACKUP_COMPRESSION: 'x' }, configDir });
    let first: unknown;
    try {
      parsedSettingsOf(bad);
    } catch (error) {
      first = error;
    }
    assert.ok(first instanceof UsageError);
    assert.throws(
      () => parsedSettingsOf(bad),
      (e: unknown) => e === first,
    );
  });

  it('the bucket section fails only on a bucket problem; the plain sections never fail', () => {
    const settings = resolveSettings({
      env: { RETENTION_DAYS: 'x', S3_BUCKET: 'backups', S3_REGION: 'eu-west-1' },
      configDir,
    });
    assert.throws(() => parsedSettingsOf(settings), /RETENTION_DAYS "x"/);
    assert.equal(parsedBucketOf(settings)?.region, 'eu-west-1');
    assert.equal(plainSettingsOf(settings).drill.tenant, 'drill');
    const badBucket = resolveSettings({ env: { S3_CHECKSUM: 'NEVER', S3_BUCKET: 'backups' }, configDir });
    assert.throws(() => parsedBucketOf(badBucket), /S3_CHECKSUM must be WHEN_SUPPORTED or WHEN_REQUIRED, got "NEVER"/);
  });
});
