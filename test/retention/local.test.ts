/**
 * Retention in BACKUP_DIR with fabricated timestamps: the window, the newest-verified floor (never a pre-restore
 * dump), pins, stale partial files, foreign files, the hold. The decisions are checked by what is left on disk.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { newHold, writeLocalHold } from '../../src/backup/hold.js';
import { retentionPolicy } from '../../src/backup/retention.js';
import { pruneSurvey, surveyLines, surveyRetention } from '../../src/backup/retention-run.js';
import { ageFile, ago, DAY, HOUR, scratchDir, writeFakeBackup } from './fixture.js';

async function prune(dir: string, days = '14'): Promise<{ lines: string[]; output: string[] }> {
  const target = { backupDir: dir, policy: retentionPolicy(days) };
  const survey = await surveyRetention(target);
  const lines = surveyLines(survey, new Date());
  const output: string[] = [];
  await pruneSurvey(survey, target, (line) => output.push(line));
  return { lines, output };
}

const files = (dir: string): string[] => readdirSync(dir).sort();

describe('retention in BACKUP_DIR', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratchDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the window: older than RETENTION_DAYS is pruned (dump and manifest), recent backups are kept', async () => {
    const old = await writeFakeBackup(dir, { takenAt: ago(20 * DAY) });
    const recent = await writeFakeBackup(dir, { takenAt: ago(10 * DAY) });
    const newest = await writeFakeBackup(dir, { takenAt: ago(1 * HOUR) });
    const { lines, output } = await prune(dir);
    assert.ok(
      lines.some((l) => l.includes(old.dumpName) && l.includes('PRUNE: older than 14 days')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.includes(recent.dumpName) && l.includes('within the 14-day window')),
      lines.join('\n'),
    );
    assert.deepEqual(output, [`pruned local ${old.dumpName}`, `pruned local ${old.manifestName}`]);
    assert.deepEqual(files(dir), [recent.dumpName, recent.manifestName, newest.dumpName, newest.manifestName].sort());
  });

  test('the time comes from the manifest, not the file name or its mtime', async () => {
    // Named as if recent, but the manifest records a start 20 days ago: it is old.
    const b = await writeFakeBackup(dir, { takenAt: ago(20 * DAY) });
    const renamedStamp = new Date(Date.now() - 2 * DAY)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const { rename } = await import('node:fs/promises');
    await rename(join(dir, b.manifestName), join(dir, `obexal-${renamedStamp}.manifest.json`));
    await rename(join(dir, b.dumpName), join(dir, `obexal-${renamedStamp}.dump.age`));
    // A verified newer backup is the floor, so the renamed one is judged on its time alone.
    await writeFakeBackup(dir, { takenAt: ago(HOUR) });
    await prune(dir);
    assert.ok(!existsSync(join(dir, `obexal-${renamedStamp}.dump.age`)), 'the manifest time (20 days) decides');
  });

  test('the floor: when everything is old, the newest verified backup of each source is kept', async () => {
    const a = await writeFakeBackup(dir, { takenAt: ago(40 * DAY) });
    const b = await writeFakeBackup(dir, { takenAt: ago(30 * DAY) });
    const unverified = await writeFakeBackup(dir, { takenAt: ago(20 * DAY), verifiedLocal: false });
    // Another source: its own floor.
    const other = await writeFakeBackup(dir, { takenAt: ago(50 * DAY), systemIdentifier: '7300000000000000999' });
    const { lines } = await prune(dir);
    assert.ok(
      lines.some((l) => l.includes(b.dumpName) && l.includes('newest verified backup of 7300000000000000001/obexal')),
      lines.join('\n'),
    );
    assert.deepEqual(files(dir), [b.dumpName, b.manifestName, other.dumpName, other.manifestName].sort());
    assert.ok(!existsSync(join(dir, a.dumpName)) && !existsSync(join(dir, unverified.dumpName)));
  });

  test('a pre-restore dump never counts as the floor', async () => {
    const scheduled = await writeFakeBackup(dir, { takenAt: ago(30 * DAY) });
    const preRestore = await writeFakeBackup(dir, { takenAt: ago(20 * DAY), reason: 'pre-restore' });
    await prune(dir);
    assert.deepEqual(files(dir), [scheduled.dumpName, scheduled.manifestName].sort());
    assert.ok(!existsSync(join(dir, preRestore.dumpName)));
  });

  test('a source with no verified backup keeps its newest complete one', async () => {
    const older = await writeFakeBackup(dir, { takenAt: ago(30 * DAY), verifiedLocal: false });
    const newer = await writeFakeBackup(dir, { takenAt: ago(20 * DAY), verifiedLocal: false });
    const { lines } = await prune(dir);
    assert.ok(
      lines.some((l) => l.includes(newer.dumpName) && l.includes('none here is verified')),
      lines.join('\n'),
    );
    assert.deepEqual(files(dir), [newer.dumpName, newer.manifestName].sort());
    assert.ok(!existsSync(join(dir, older.dumpName)));
  });

  test('pins: a pin in the future keeps an old backup; an expired pin does not', async () => {
    const pinned = await writeFakeBackup(dir, {
      takenAt: ago(30 * DAY),
      reason: 'pre-migration',
      pinUntil: new Date(Date.now() + 5 * DAY),
    });
    const expired = await writeFakeBackup(dir, {
      takenAt: ago(29 * DAY),
      reason: 'pre-rotation',
      pinUntil: new Date(Date.now() - DAY),
    });
    const floor = await writeFakeBackup(dir, { takenAt: ago(HOUR) });
    const { lines } = await prune(dir);
    assert.ok(
      lines.some((l) => l.includes(pinned.dumpName) && l.includes('pinned until')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.includes(expired.dumpName) && l.includes('pin expired')),
      lines.join('\n'),
    );
    assert.deepEqual(files(dir), [pinned.dumpName, pinned.manifestName, floor.dumpName, floor.manifestName].sort());
  });

  test('stale partial files are removed; a fresh one (a run in progress) is left alone', async () => {
    const floor = await writeFakeBackup(dir, { takenAt: ago(HOUR) });
    const stale = 'obexal-20200101T000000Z.dump.age.partial';
    const fresh = `obexal-${floor.stamp.replace(/\d{2}Z$/, '59Z')}.dump.age.partial`;
    writeFileSync(join(dir, stale), 'half a dump');
    await ageFile(join(dir, stale), ago(2 * HOUR));
    writeFileSync(join(dir, fresh), 'being written');
    const { output } = await prune(dir);
    assert.deepEqual(output, [`removed stale local ${stale}`]);
    assert.ok(existsSync(join(dir, fresh)));
    assert.ok(existsSync(join(dir, floor.dumpName)));
  });

  test('files that do not match our naming are never touched, however old', async () => {
    const foreign = [
      'notes.txt',
      'obexal-foo.dump',
      'obexal-20200101T000000Z.dump.bak',
      'obexal-20201301T000000Z.dump.age',
      'something.partial',
    ];
    for (const name of foreign) {
      writeFileSync(join(dir, name), 'not ours');
      await ageFile(join(dir, name), ago(400 * DAY));
    }
    mkdirSync(join(dir, 'records'));
    writeFileSync(join(dir, 'records', 'obexal-20200101T000000Z.dump.age'), 'inside a sub-folder');
    const old = await writeFakeBackup(dir, { takenAt: ago(100 * DAY), verifiedLocal: false });
    await writeFakeBackup(dir, { takenAt: ago(HOUR) });
    const { lines } = await prune(dir);
    assert.ok(
      lines.some((l) => l.includes('not ours, never touched') && l.includes('notes.txt')),
      lines.join('\n'),
    );
    for (const name of foreign) assert.ok(existsSync(join(dir, name)), `${name} must stay`);
    assert.ok(existsSync(join(dir, 'records', 'obexal-20200101T000000Z.dump.age')));
    assert.ok(!existsSync(join(dir, old.dumpName)));
  });

  test('a dump whose manifest is lost is judged by the time in its name, and never counts as the floor', async () => {
    const lost = await writeFakeBackup(dir, { takenAt: ago(20 * DAY), noManifest: true });
    const keptLost = await writeFakeBackup(dir, { takenAt: ago(2 * DAY), noManifest: true });
    const { lines } = await prune(dir);
    assert.ok(
      lines.some((l) => l.includes(lost.dumpName) && l.includes('time from the file name') && l.includes('PRUNE')),
      lines.join('\n'),
    );
    assert.deepEqual(files(dir), [keptLost.dumpName]);
  });

  test('while a hold is active nothing is deleted, and the report says so', async () => {
    const old = await writeFakeBackup(dir, { takenAt: ago(60 * DAY) });
    await writeFakeBackup(dir, { takenAt: ago(HOUR) });
    writeFileSync(join(dir, 'obexal-20200101T000000Z.dump.age.partial'), 'stale');
    await ageFile(join(dir, 'obexal-20200101T000000Z.dump.age.partial'), ago(3 * HOUR));
    await writeLocalHold(dir, newHold('INC-42 investigating account takeover'));
    const before = files(dir);
    const target = { backupDir: dir, policy: retentionPolicy('14') };
    const survey = await surveyRetention(target);
    const lines = surveyLines(survey, new Date());
    assert.ok(
      lines.some((l) => l.includes('retention hold active') && l.includes('INC-42')),
      lines.join('\n'),
    );
    const result = await pruneSurvey(survey, target, () => undefined);
    assert.equal(result.held?.reason, 'INC-42 investigating account takeover');
    assert.deepEqual(files(dir), before);
    assert.ok(existsSync(join(dir, old.dumpName)));
  });

  test('RETENTION_DAYS that is not a positive whole number is a usage error', () => {
    for (const bad of ['0', '-3', '1.5', 'fourteen', '', '14d']) {
      assert.throws(
        () => retentionPolicy(bad),
        (error: unknown) => error instanceof UsageError && error.exitCode === 2,
        `"${bad}"`,
      );
    }
    assert.equal(retentionPolicy('14').retentionDays, 14);
  });
});
