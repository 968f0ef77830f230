/** The pure parts of the backup: settings, pins, progress and ETA, the key-era register, restore-by-hand lines. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { parseCompression, parseEncryption, parsePin, parseRetentionDays } from '../../src/backup/config.js';
import { DumpProgress } from '../../src/backup/dump-progress.js';
import { estimateDumpBytes } from '../../src/backup/local-manifests.js';
import { restoreByHandCommands } from '../../src/backup/restore-by-hand.js';
import { acquireSourceLock, sourceLockPath } from '../../src/backup/source-lock.js';
import { LockHeldError } from '../../src/core/lock.js';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ProgressUpdate } from '../../src/engine/action.js';
import { removeTempDirs, tempDir } from './helpers.js';
import {
  addEra,
  closeEra,
  emptyRegister,
  eraForDump,
  erasAt,
  openEras,
  parseRegister,
  suggestEraLabel,
  validateEraLabel,
} from '../../src/eras/register.js';

after(removeTempDirs);

const FP1 = 'a'.repeat(64);
const FP2 = 'b'.repeat(64);

describe('backup settings', () => {
  it('accepts a positive whole number of retention days and refuses anything else with a usage error', () => {
    assert.equal(parseRetentionDays('14'), 14);
    assert.equal(parseRetentionDays(' 7 '), 7);
    for (const bad of ['abc', '0', '-3', '1.5', '', '14d', undefined]) {
      assert.throws(
        () => parseRetentionDays(bad),
        (e: unknown) => e instanceof UsageError && /RETENTION_DAYS/.test(e.message),
        String(bad),
      );
    }
  });

  it('takes gzip 0-9 (default 4) and age or none only', () => {
    assert.deepEqual(parseCompression(undefined), { codec: 'zstd', level: 1 });
    assert.deepEqual(parseCompression('zstd:19'), { codec: 'zstd', level: 19 });
    assert.deepEqual(parseCompression('GZIP'), { codec: 'gzip', level: 4 });
    assert.deepEqual(parseCompression('gzip:0'), { codec: 'gzip', level: 0 });
    assert.deepEqual(parseCompression('0'), { codec: 'gzip', level: 0 }, 'a bare digit is the old gzip level');
    assert.throws(() => parseCompression('10'), UsageError);
    assert.throws(() => parseCompression('zstd:0'), UsageError);
    assert.throws(() => parseCompression('zstd:20'), UsageError);
    assert.throws(() => parseCompression('lz4'), UsageError);
    assert.equal(parseEncryption(undefined), 'age');
    assert.equal(parseEncryption('NONE'), 'none');
    assert.throws(() => parseEncryption('gpg'), UsageError);
  });

  it('turns --pin 30d into an expiry 30 days later, and an empty pin into none', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(parsePin('30d', from), { duration: '30d', until: '2026-01-31T00:00:00.000Z' });
    assert.equal(parsePin('', from), null);
    assert.equal(parsePin(undefined, from), null);
    assert.throws(() => parsePin('soon', from), UsageError);
  });

  it('estimates from the last dump when there is one, else from the database size', () => {
    const zstd = { codec: 'zstd', level: 1 } as const;
    assert.equal(estimateDumpBytes(1000, zstd, 400), 500);
    assert.equal(estimateDumpBytes(1000, zstd, undefined), 500);
    assert.equal(estimateDumpBytes(1000, { codec: 'gzip', level: 0 }, undefined), 1500);
  });

  it('names one lock file per source database, safe for any database name', () => {
    assert.equal(sourceLockPath('/b', '7311', 'obexal'), '/b/.locks/7311-obexal.lock');
    assert.equal(sourceLockPath('/b', '7311', 'we/ird db'), '/b/.locks/7311-we%2fird%20db.lock');
  });
});

describe('the source lock', () => {
  it('is re-entered by the process that holds it, refused to another live holder, and removed by its owner', async () => {
    const backupDir = tempDir('obexal-lock-');
    const options = { stateDir: backupDir, systemIdentifier: '7311', database: 'obexal', purpose: 'test' };
    const held = await acquireSourceLock(options);
    assert.equal(held.reentered, false);
    assert.equal(statSync(join(backupDir, '.locks')).mode & 0o777, 0o700);
    const again = await acquireSourceLock(options);
    assert.equal(again.reentered, true);
    await again.release();
    assert.ok(existsSync(held.path), 'a re-entry does not release the lock');
    await held.release();
    assert.equal(existsSync(held.path), false);
    // pid 1 is alive and not us: the lock is held by someone else
    writeFileSync(held.path, JSON.stringify({ pid: 1, host: hostname(), startedAt: 'x', purpose: 'a restore' }));
    await assert.rejects(
      acquireSourceLock(options),
      (e: unknown) => e instanceof LockHeldError && /purpose: a restore/.test(e.message),
    );
  });
});

describe('dump progress', () => {
  it('counts tables from pg_dump --verbose and estimates the time left from the sizes done', () => {
    const updates: ProgressUpdate[] = [];
    let now = 1_000;
    const progress = new DumpProgress(
      { 'public.a': 100, 'public.b': 300, 'public.c': 600 },
      (u) => updates.push(u),
      () => now,
    );
    assert.equal(progress.onLine('pg_dump: reading schemas'), false);
    assert.equal(progress.onLine('pg_dump: dumping contents of table "public.a"'), true);
    now = 2_000; // a (100 bytes) took 1 s
    progress.onLine('pg_dump: dumping contents of table "public.b"');
    now = 4_000;
    progress.onLine('pg_dump: dumping contents of table "public.c"');
    progress.finish();
    assert.deepEqual(
      updates.map((u) => [u.done, u.total, u.label]),
      [
        [0, 3, 'dumping public.a'],
        [1, 3, 'dumping public.b'],
        [2, 3, 'dumping public.c'],
        [3, 3, 'all tables dumped'],
      ],
    );
    assert.equal(updates[0]?.etaMs, undefined);
    assert.equal(updates[1]?.etaMs, 9_000); // 900 bytes left at 100 bytes/s
    assert.equal(updates[2]?.etaMs, 4_500); // 600 bytes left at 400 bytes per 3 s
  });
});

describe('key-era register', () => {
  it('validates labels and suggests era-<yyyy-mm>', () => {
    assert.equal(validateEraLabel('era-2026-11'), 'era-2026-11');
    assert.throws(() => validateEraLabel('Era 1'), UsageError);
    assert.equal(suggestEraLabel(new Date('2026-03-09T12:00:00Z')), 'era-2026-03');
  });

  it('names the open era for a dump, both during a rotation, and the one in force at a past time', () => {
    let register = addEra(emptyRegister(), { label: 'era-1', fingerprint: FP1, start: '2026-01-01T00:00:00Z' });
    assert.deepEqual(eraForDump(register), [{ label: 'era-1', fingerprint: FP1 }]);
    register = addEra(register, { label: 'era-2', fingerprint: FP2, start: '2026-06-01T00:00:00Z' });
    assert.deepEqual(
      eraForDump(register).map((e) => e.label),
      ['era-1', 'era-2'],
    );
    register = closeEra(register, 'era-1', '2026-06-02T00:00:00Z', '2026-06-16T00:00:00Z');
    assert.deepEqual(
      openEras(register).map((e) => e.label),
      ['era-2'],
    );
    assert.deepEqual(
      erasAt(register, new Date('2026-03-01T00:00:00Z')).map((e) => e.label),
      ['era-1'],
    );
    assert.throws(() => addEra(register, { label: 'era-3', fingerprint: FP1 }), /already registered as era "era-1"/);
    assert.throws(() => addEra(register, { label: 'era-2', fingerprint: 'c'.repeat(64) }), /already in the register/);
    assert.deepEqual(parseRegister(JSON.parse(JSON.stringify(register)), 'test'), register);
  });

  it('refuses a damaged register, naming where', () => {
    assert.throws(
      () =>
        parseRegister(
          {
            schema: 'obexal-key-eras@v1',
            eras: [{ label: 'x', fingerprint: 'nope', start: 'x', end: null, keepKeyUntil: null }],
          },
          '/b/key-eras.json',
        ),
      /key-eras\.json is not valid at eras\.0/,
    );
    assert.throws(() => parseRegister({ schema: 'other' }, 'here'), UsageError);
  });
});

describe('restore by hand', () => {
  it('checks, decrypts, checks again and restores with plain commands, quoting what needs it', () => {
    const lines = restoreByHandCommands({
      dumpName: 'obexal-20260101T000000Z.dump.age',
      sha256: FP1,
      plaintextSha256: FP2,
      encrypted: true,
      encoding: 'UTF8',
    });
    assert.ok(lines.includes(`echo '${FP1}  obexal-20260101T000000Z.dump.age' | sha256sum -c -`));
    assert.ok(
      lines.includes('age -d -i "$AGE_IDENTITY_FILE" -o obexal-20260101T000000Z.dump obexal-20260101T000000Z.dump.age'),
    );
    assert.ok(
      lines.includes('pg_restore --no-owner --exit-on-error --dbname "$RESTORE_DB" obexal-20260101T000000Z.dump'),
    );
    const plain = restoreByHandCommands({
      dumpName: 'obexal-20260101T000000Z.dump',
      sha256: FP1,
      plaintextSha256: FP1,
      encrypted: false,
    });
    assert.ok(!plain.some((l) => l.startsWith('age ')));
    assert.ok(plain.some((l) => l.endsWith('"$RESTORE_DB" obexal-20260101T000000Z.dump')));

    const zstd = restoreByHandCommands({
      dumpName: 'obexal-20260101T000000Z.dump.zst.age',
      sha256: FP1,
      plaintextSha256: FP2,
      encrypted: true,
    });
    const unpack =
      'age -d -i "$AGE_IDENTITY_FILE" obexal-20260101T000000Z.dump.zst.age | zstd -d -q -o obexal-20260101T000000Z.dump';
    assert.ok(zstd.includes(unpack), zstd.join('\n'));
    assert.ok(zstd.includes(`echo '${FP2}  obexal-20260101T000000Z.dump' | sha256sum -c -`));
    assert.ok(zstd.includes('rm -f obexal-20260101T000000Z.dump'));
  });
});
