/**
 * The rollback plan's pieces without a database: the migration list an operator types, the compatibility file,
 * and which pre-migration backups count (this source's, whole, newest first, one per backup across places).
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { localInventory } from '../../src/backup/inventory.js';
import { parseMigrationList, readCompatibilityFile } from '../../src/rollback/migrations.js';
import { preMigrationBackups } from '../../src/rollback/plan.js';
import { ago, DAY, scratchDir, writeFakeBackup } from '../retention/fixture.js';

describe('rollback plan units', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = scratchDir('obexal-rollback-');
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('the migration list: versions, none, empty; anything else is a usage error', () => {
    assert.deepEqual(parseMigrationList('42, 41 42'), [41, 42]);
    assert.deepEqual(parseMigrationList('none'), []);
    assert.equal(parseMigrationList('  '), undefined);
    assert.throws(() => parseMigrationList('41,x'), UsageError);
  });

  test('the compatibility file: additive/breaking (and compatible/incompatible); a bad entry is a usage error', async () => {
    const dir = scratch();
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ 5: 'additive', 6: 'breaking', 7: 'incompatible' }));
    assert.deepEqual(
      [...(await readCompatibilityFile(good))],
      [
        [5, 'additive'],
        [6, 'breaking'],
        [7, 'breaking'],
      ],
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 5: 'maybe' }));
    await assert.rejects(readCompatibilityFile(bad), UsageError);
    await assert.rejects(readCompatibilityFile(join(dir, 'missing.json')), UsageError);
    assert.equal((await readCompatibilityFile(undefined)).size, 0);
  });

  test('pre-migration backups: only this source, only whole ones, newest first', async () => {
    const dir = scratch();
    const older = await writeFakeBackup(dir, { takenAt: ago(3 * DAY), reason: 'pre-migration' });
    const newer = await writeFakeBackup(dir, { takenAt: ago(2 * DAY), reason: 'pre-migration' });
    await writeFakeBackup(dir, { takenAt: ago(1 * DAY), reason: 'scheduled' });
    await writeFakeBackup(dir, {
      takenAt: ago(DAY / 2),
      reason: 'pre-migration',
      systemIdentifier: '7300000000000000999',
    });
    await writeFakeBackup(dir, { takenAt: ago(DAY / 4), reason: 'pre-migration', noManifest: true });
    const local = await localInventory(dir);
    const found = preMigrationBackups({ local, bucket: undefined }, '7300000000000000001/obexal');
    assert.deepEqual(
      found.map((b) => b.dump?.name),
      [newer.dumpName, older.dumpName],
    );
  });
});
