/**
 * What a cluster's owner leaves behind when it dies: nothing on a normal exit or a signal, and, after a
 * SIGKILL, a folder and a postmaster that `sweepStaleClusters` removes. Each owner is a real child process.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../../src/pg/cluster.js';
import { isAlive, MARKER_FILE, ownMarker, processStartTicks } from '../../src/pg/cluster-process.js';
import { sweepStaleClusters } from '../../src/pg/cluster-sweep.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-owner.ts', import.meta.url));

interface Owned {
  child: ChildProcess;
  rootDir: string;
  dataDir: string;
  postmasterPid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let base: string;

before(async () => {
  // Its own base folder, so that other test files' sweeps never touch these clusters; 0755 so that the
  // postgres user can enter it when we are root.
  base = await mkdtemp(join(tmpdir(), 'obexal-test-sweep-'));
  await chmod(base, 0o755);
});
after(async () => {
  await sweepStaleClusters(base);
  await rm(base, { recursive: true, force: true });
});

async function startOwner(mode: 'hold' | 'exit' | 'own-handler'): Promise<Owned> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, base, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    lines.once('close', () => reject(new Error('the owner exited before it reported its cluster')));
  });
  return { child, exited, ...(JSON.parse(first) as { rootDir: string; dataDir: string; postmasterPid: number }) };
}

async function waitUntilDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && isAlive(pid); i++) await sleep(20);
  return !isAlive(pid);
}

describe('a cluster whose owner is killed', () => {
  it('is left behind by SIGKILL, then swept with its postmaster, while a live owner’s cluster is kept', async () => {
    const mine = await startCluster({ rootDir: base });
    try {
      const owned = await startOwner('hold');
      owned.child.kill('SIGKILL');
      assert.equal((await owned.exited).signal, 'SIGKILL');
      assert.ok(existsSync(owned.rootDir), 'the folder outlived its owner');
      assert.ok(isAlive(owned.postmasterPid), 'the postmaster outlived its owner');

      const removed = await sweepStaleClusters(base);
      assert.deepEqual(removed, [owned.rootDir]);
      assert.equal(existsSync(owned.rootDir), false);
      assert.ok(await waitUntilDead(owned.postmasterPid), 'the sweep stopped the postmaster');
      assert.ok(existsSync(mine.rootDir), 'a live owner’s cluster is not swept');
      assert.ok(isAlive(mine.postmasterPid));
    } finally {
      await mine.stop();
    }
  });
});

describe('a cluster whose owner ends on its own', () => {
  it('is removed by the exit handler on process.exit()', async () => {
    const owned = await startOwner('exit');
    assert.equal((await owned.exited).code, 0);
    assert.equal(existsSync(owned.rootDir), false);
    assert.ok(await waitUntilDead(owned.postmasterPid));
  });

  it('is removed on SIGTERM, and the owner still dies of SIGTERM', async () => {
    const owned = await startOwner('hold');
    owned.child.kill('SIGTERM');
    assert.equal((await owned.exited).signal, 'SIGTERM');
    assert.equal(existsSync(owned.rootDir), false);
    assert.ok(await waitUntilDead(owned.postmasterPid));
  });

  it('leaves SIGINT to an owner that handles it (its handler calls stopAllClusters and exits 130)', async () => {
    const owned = await startOwner('own-handler');
    owned.child.kill('SIGINT');
    assert.deepEqual(await owned.exited, { code: 130, signal: null });
    assert.equal(existsSync(owned.rootDir), false);
    assert.ok(await waitUntilDead(owned.postmasterPid));
  });
});

describe('sweepStaleClusters', () => {
  it('treats a reused pid (same pid, other start time) as dead, and keeps folders without a marker', async () => {
    const reused = join(base, 'obexal-pg-reused');
    await mkdir(reused);
    await writeFile(join(reused, MARKER_FILE), JSON.stringify({ ...ownMarker(), startTicks: 'not-our-start' }));
    const alive = join(base, 'obexal-pg-alive');
    await mkdir(alive);
    await writeFile(join(alive, MARKER_FILE), JSON.stringify(ownMarker()));
    const unmarked = join(base, 'obexal-pg-unmarked');
    await mkdir(unmarked);

    const removed = await sweepStaleClusters(base);
    assert.deepEqual(removed, processStartTicks(process.pid) === undefined ? [] : [reused]);
    assert.ok(existsSync(alive));
    assert.ok(existsSync(unmarked));
    await rm(alive, { recursive: true });
    await rm(unmarked, { recursive: true });
  });
});
