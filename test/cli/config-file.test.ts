/**
 * The configuration file through `obexal-runbook config`: values persist between invocations, the file is 0600 in a
 * 0700 folder, a file written by an earlier version (tab-indented JSON) is read as it is, and a damaged file stops
 * the command with exit 2 and a hint instead of a stack trace.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

function freshConfigDir(): string {
  return join(tempDir('obexal-config-file-'), 'state');
}

describe('the configuration file', () => {
  it('persists a setting, 0600 in a 0700 folder, and removes it again', async () => {
    const dir = freshConfigDir();
    const env = { OBEXAL_RUNBOOK_CONFIG_DIR: dir };
    const set = await runCli(['config', 'set', 'BACKUP_DIR', '/srv/obexal-dumps'], env);
    assert.equal(set.exitCode, 0, set.stdout + set.stderr);
    const file = join(dir, 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { BACKUP_DIR: '/srv/obexal-dumps' });

    const shown = await runCli(['config', '--json'], env);
    assert.equal(shown.exitCode, 0, shown.stdout + shown.stderr);
    assert.match(shown.stdout, /\/srv\/obexal-dumps/);

    const unset = await runCli(['config', 'unset', 'BACKUP_DIR'], env);
    assert.equal(unset.exitCode, 0, unset.stdout + unset.stderr);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {});
  });

  it('reads a file written by an earlier version, and a hand-written number as its text', async () => {
    const dir = freshConfigDir();
    await runCli(['config', 'unset', 'BACKUP_DIR'], { OBEXAL_RUNBOOK_CONFIG_DIR: dir });
    writeFileSync(join(dir, 'config.json'), '{\n\t"BACKUP_DIR": "/srv/older",\n\t"RETENTION_DAYS": 45\n}', {
      mode: 0o600,
    });
    const shown = await runCli(['config', '--json'], { OBEXAL_RUNBOOK_CONFIG_DIR: dir });
    assert.equal(shown.exitCode, 0, shown.stdout + shown.stderr);
    const settings = JSON.stringify(JSON.parse(shown.stdout).settings);
    assert.match(settings, /\/srv\/older/);
    assert.match(settings, /"45"/);
  });

  it('a damaged file stops with exit 2, the path and what to do', async () => {
    const dir = freshConfigDir();
    await runCli(['config', 'unset', 'BACKUP_DIR'], { OBEXAL_RUNBOOK_CONFIG_DIR: dir });
    writeFileSync(join(dir, 'config.json'), '{"BACKUP_DIR": "/srv/x",', { mode: 0o600 });
    const result = await runCli(['config'], { OBEXAL_RUNBOOK_CONFIG_DIR: dir });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    const output = result.stdout + result.stderr;
    assert.match(output, /config\.json cannot be read: it is not valid JSON/);
    assert.match(output, /obexal-runbook config set/);
    assert.doesNotMatch(output, /SyntaxError|at JSON\.parse/);
  });
});
