/**
 * Lock files with real processes: a lock of a dead process is taken over (by exactly one of many takers), a lock
 * held by a live process is waited for and then refused with its holder named.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { StepFailedError } from '../../src/core/errors.js';
import { acquireLock, LockHeldError, readLockOwner } from '../../src/core/lock.js';

const lockModule = fileURLToPath(new URL('../../src/core/lock.ts', import.meta.url));

/** The pid of a process that has exited (reaped), so `kill(pid, 0)` answers ESRCH. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.equal(child.status, 0);
  return child.pid;
}

function lockContent(pid: number, purpose: string, host = hostname()): string {
  return `${JSON.stringify({ pid, host, startedAt: '2026-11-24T18:00:00.000Z', purpose })}\n`;
}

/** A separate process that takes the lock through acquireLock and holds it until killed. */
async function holdInChild(path: string, purpose: string): Promise<ChildProcess> {
  const script =
    `const { acquireLock } = await import(${JSON.stringify(lockModule)});` +
    `await acquireLock(${JSON.stringify(path)}, { purpose: ${JSON.stringify(purpose)} });` +
    `process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

describe('lock files', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'obexal-lock-'));
    path = join(dir, 'db.lock');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates the lock exclusively with its owner, 0600, and removes it on release', async () => {
    const lock = await acquireLock(path, { purpose: 'backup of obexal' });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const owner = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(owner).sort(), ['host', 'pid', 'purpose', 'startedAt']);
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, hostname());
    assert.equal(owner.purpose, 'backup of obexal');
    await assert.rejects(acquireLock(path, { purpose: 'restore of obexal' }), LockHeldError);
    await lock.release();
    await lock.release(); // twice is harmless
    assert.deepEqual(await readdir(dir), []);
    const again = await acquireLock(path, { purpose: 'restore of obexal' });
    await again.release();
  });

  it('takes over the lock of a dead process', async () => {
    const dead = deadPid();
    await writeFile(path, lockContent(dead, 'backup that was killed'));
    const lock = await acquireLock(path, { purpose: 'next backup' });
    assert.equal((await readLockOwner(path))?.pid, process.pid);
    assert.equal((await readLockOwner(path))?.purpose, 'next backup');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['db.lock'], 'no guard or temporary file left behind');
    await lock.release();
  });

  it('moves past a taker that died while taking over', async () => {
    const stale = lockContent(deadPid(), 'killed backup');
    await writeFile(path, stale);
    const tag = createHash('sha256').update(stale).digest('hex').slice(0, 16);
    await writeFile(`${path}.takeover-${tag}-1`, lockContent(deadPid(), 'taker that died'));
    const lock = await acquireLock(path, { purpose: 'after a dead taker' });
    assert.equal((await readLockOwner(path))?.purpose, 'after a dead taker');
    assert.deepEqual(await readdir(dir), ['db.lock']);
    await lock.release();
  });

  it('lets exactly one of many processes in at a time when they all find the same stale lock', async () => {
    await writeFile(path, lockContent(deadPid(), 'killed backup'));
    const log = join(dir, 'log');
    const script =
      `const { acquireLock } = await import(${JSON.stringify(lockModule)});` +
      `const { appendFile } = await import('node:fs/promises');` +
      `const lock = await acquireLock(${JSON.stringify(path)}, { purpose: 'racer', waitMs: 60000, pollMs: 10 });` +
      `await appendFile(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');` +
      `await new Promise((r) => setTimeout(r, 30));` +
      `await appendFile(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');` +
      `await lock.release();`;
    const racers = Array.from(
      { length: 6 },
      () =>
        new Promise<number | null>((resolve) => {
          spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' }).once(
            'exit',
            resolve,
          );
        }),
    );
    assert.deepEqual(await Promise.all(racers), [0, 0, 0, 0, 0, 0]);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 12);
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, leave] = [lines[i]!.split(' '), lines[i + 1]!.split(' ')];
      assert.equal(enter[0], 'in', `line ${i}: ${lines.join(' | ')}`);
      assert.deepEqual(leave, ['out', enter[1]], `nobody else got in: ${lines.join(' | ')}`);
    }
    assert.deepEqual(await readdir(dir), ['log']);
  });

  it('lets only one of many simultaneous takers win the same stale lock', async () => {
    await writeFile(path, lockContent(deadPid(), 'killed backup'));
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const lock = await acquireLock(path, { purpose: `taker ${i}`, waitMs: 30_000, pollMs: 5 });
        inside += 1;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside -= 1;
        await lock.release();
      }),
    );
    assert.equal(most, 1);
    assert.deepEqual(await readdir(dir), []);
  });

  it('waits for a live holder and times out naming it: pid, host, purpose, since', async () => {
    const holder = await holdInChild(path, 'restore of obexal@db:5432');
    try {
      const error = await acquireLock(path, { purpose: 'backup of obexal@db:5432', waitMs: 300, pollMs: 20 }).then(
        () => assert.fail('the lock of a live process must not be taken'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof LockHeldError);
      assert.ok(error instanceof StepFailedError);
      assert.equal(error.exitCode, 1);
      assert.equal(error.holder?.pid, holder.pid);
      assert.match(error.message, new RegExp(`pid ${holder.pid} on host ${hostname()}`));
      assert.match(error.message, /purpose: restore of obexal@db:5432/);
      assert.match(error.message, /since \d{4}-\d\d-\d\dT/);
      assert.match(error.hint ?? '', new RegExp(`ps -p ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // once the holder is dead its lock is stale and taken over
    const lock = await acquireLock(path, { purpose: 'backup of obexal@db:5432' });
    await lock.release();
  });

  it('gets the lock when the holder releases it within the wait', async () => {
    const first = await acquireLock(path, { purpose: 'first' });
    setTimeout(() => void first.release(), 150);
    const second = await acquireLock(path, { purpose: 'second', waitMs: 10_000, pollMs: 20 });
    assert.equal((await readLockOwner(path))?.purpose, 'second');
    await second.release();
  });

  it('never takes over a lock of another host, which cannot be checked from here', async () => {
    await writeFile(path, lockContent(deadPid(), 'backup on the other host', 'backup-2.example'));
    await assert.rejects(acquireLock(path, { purpose: 'backup', waitMs: 50 }), (error: unknown) => {
      assert.ok(error instanceof LockHeldError);
      assert.match(error.message, /on host backup-2\.example/);
      assert.match(error.hint ?? '', /host backup-2\.example/);
      return true;
    });
  });

  it('treats an unreadable lock as being written, and as abandoned once it is old', async () => {
    await writeFile(path, '');
    await assert.rejects(acquireLock(path, { purpose: 'backup', waitMs: 50 }), LockHeldError);
    const aMinuteAgo = new Date(Date.now() - 60_000);
    await utimes(path, aMinuteAgo, aMinuteAgo);
    const lock = await acquireLock(path, { purpose: 'backup' });
    await lock.release();
  });
});
