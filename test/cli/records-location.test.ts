/**
 * Where a run's record goes when the invocation named no folder: under the tool's own configuration folder, never
 * into the default BACKUP_DIR (/var/backups/obexal, a system folder nobody named). Named folders keep the
 * documented place (RECORDS_DIR, else records/ under BACKUP_DIR).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { recordsDirOf } from '../../src/cli/record-writer.js';
import { resolveSettings } from '../../src/core/settings.js';
import { recordPathOf, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const DEFAULT_BACKUP_DIR = '/var/backups/obexal';

describe('the records folder', () => {
  it('a run that fails before any setting is resolved records under the configuration folder', async () => {
    const existedBefore = existsSync(DEFAULT_BACKUP_DIR);
    const configDir = join(tempDir('obexal-records-location-'), 'config');
    const result = await runCli(['backup'], { OBEXAL_RUNBOOK_CONFIG_DIR: configDir });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /DATABASE_URL is not set/);
    const record = recordPathOf(result.stdout);
    assert.ok(record.startsWith(join(configDir, 'records') + '/'), record);
    assert.ok(existsSync(record));
    if (!existedBefore) assert.ok(!existsSync(DEFAULT_BACKUP_DIR), `${DEFAULT_BACKUP_DIR} was created`);
  });

  it('RECORDS_DIR, then a named BACKUP_DIR, then the configuration folder', () => {
    const at = (env: Record<string, string>, file: Record<string, unknown> = {}) =>
      recordsDirOf(resolveSettings({ env, file, configDir: '/cfg' }));
    assert.equal(at({ RECORDS_DIR: '/r', BACKUP_DIR: '/b' }), '/r');
    assert.equal(at({ BACKUP_DIR: '/b' }), '/b/records');
    assert.equal(at({}, { BACKUP_DIR: '/from-file' }), '/from-file/records');
    assert.equal(at({}), '/cfg/records');
  });
});
