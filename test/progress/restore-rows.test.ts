/**
 * Restore progress: the rows loaded (from the server's COPY progress) against the manifest's counts while the data
 * goes in, items before and after; checked with a fake clock, then by pg_restore into a real throwaway cluster.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ProgressUpdate } from '../../src/engine/action.js';
import { withClient } from '../../src/pg/client.js';
import { copiedTable, ownConnection, readCopyProgress, type CopySample } from '../../src/pg/copy-progress.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { findPgRestore } from '../../src/restore/archive.js';
import { runPgRestore } from '../../src/restore/pg-restore-run.js';
import { RestoreProgress } from '../../src/restore/restore-progress.js';
import { removeTempDirs, tempDir } from '../backup/helpers.js';
import { freshDatabase, withCluster } from '../helpers/pg.js';

after(() => removeTempDirs());

function reading(schema: string, name: string, tuples: number): CopySample {
  return { pid: 1, table: `${schema}.${name}`, relation: { schema, name }, bytes: 0, tuples, reltuples: 0 };
}

describe('restore progress', () => {
  it("names the table from the COPY command's text when the catalogue cannot", () => {
    assert.deepEqual(copiedTable('COPY public.users (id, email) FROM stdin;'), { schema: 'public', name: 'users' });
    assert.deepEqual(copiedTable('COPY "my.s"."Odd ""t""" (id) FROM stdin;'), { schema: 'my.s', name: 'Odd "t"' });
    assert.equal(copiedTable('COPY (SELECT 1) TO stdout;'), undefined);
    assert.equal(copiedTable(null), undefined);
  });

  it('counts rows while the data goes in, then items again', () => {
    const updates: ProgressUpdate[] = [];
    let now = 0;
    const progress = new RestoreProgress(
      { totalItems: 10, rowCounts: { users: 1_000, 'sales.orders': 3_000 } },
      (u) => updates.push(u),
      () => now,
    );
    progress.onItem('creating TABLE "public.users"');
    assert.equal(updates[0]?.unit, 'items');
    progress.onItem('data for table "sales.orders"');
    now = 1_000;
    progress.onCopy([reading('sales', 'orders', 1_500)]);
    assert.deepEqual(updates[2], { done: 1_500, total: 4_000, unit: 'rows', label: 'restoring sales.orders' });
    now = 2_000;
    progress.onItem('data for table "public.users"'); // orders finished: all its rows are in
    assert.equal(updates[3]?.done, 3_000);
    assert.equal(updates[3]?.ratePerSecond, 1_500);
    assert.equal(updates[3]?.etaMs, 667);
    now = 2_500;
    progress.onCopy([]); // users went in between two readings
    progress.onItem('creating INDEX "public.users_pkey"'); // users finished: the data is in, items from here
    assert.deepEqual(
      [updates[4]?.unit, updates[4]?.done, updates[4]?.label],
      ['items', 4, 'pg_restore: creating INDEX "public.users_pkey"'],
    );
  });

  it('a parallel restore credits a table on its "finished item" line; no readings: items only', () => {
    const updates: ProgressUpdate[] = [];
    const progress = new RestoreProgress({ totalItems: 4, rowCounts: { a: 10, b: 30 } }, (u) => updates.push(u));
    progress.onItem('TABLE DATA a');
    assert.equal(updates[0]?.unit, 'items', 'no COPY reading yet');
    progress.onCopy([reading('public', 'b', 5)]);
    assert.equal(updates[1]?.done, 15);
    progress.onItem('TABLE DATA b');
    assert.deepEqual([updates[2]?.unit, updates[2]?.done], ['items', 2]);
  });
});

it('pg_restore into a real cluster reports rows loaded of the manifest count before it ends', async () => {
  const cluster = await withCluster();
  const source = parseConnectionString(await freshDatabase(cluster, 'restore_src'));
  const rows = 500_000;
  // A check that pauses every 50 000 rows keeps the COPY going for a few readings however fast the machine is.
  await withClient(source, async (client) => {
    await client.query(
      `CREATE FUNCTION public.slow_row(id int) RETURNS boolean LANGUAGE sql
         AS $$ SELECT CASE WHEN id % 50000 = 0 THEN pg_sleep(0.3) IS NOT NULL ELSE true END $$`,
    );
    await client.query(`CREATE TABLE public.filler (id int CHECK (public.slow_row(id)), payload text)`);
    await client.query(`INSERT INTO public.filler SELECT g, md5(g::text) FROM generate_series(1, ${rows}) g`);
  });
  const file = join(tempDir('obexal-progress-restore-'), 'source.dump');
  execFileSync('pg_dump', ['--format=custom', '--compress=0', `--file=${file}`], { env: childEnvFor(source) });
  const into = parseConnectionString(await freshDatabase(cluster, 'restore_into'));
  const updates: ProgressUpdate[] = [];
  await runPgRestore({
    program: await findPgRestore(),
    file,
    target: into,
    args: ['--no-owner'],
    jobs: 1,
    totalItems: 3,
    rowCounts: { filler: rows },
    signal: new AbortController().signal,
    onProgress: (u) => updates.push(u),
    onLine: () => undefined,
  });
  const inRows = updates.filter((u) => u.unit === 'rows');
  assert.ok(
    updates.some((u) => u.unit === 'items' && u.label === 'pg_restore: data for table "public.filler"'),
    `the data item is named as such: ${JSON.stringify(updates)}`,
  );
  assert.ok(inRows.length >= 1, `at least one update in rows: ${JSON.stringify(updates)}`);
  for (const u of inRows) {
    assert.ok(u.done > 0 && u.done <= (u.total ?? 0), JSON.stringify(u));
    assert.equal(u.total, rows);
    assert.equal(u.label, 'restoring public.filler');
  }
});

it('a reading from another database names the copied table by its COPY, not by its own catalogue', async () => {
  const cluster = await withCluster();
  const copied = parseConnectionString(await freshDatabase(cluster, 'watch_copied'));
  await withClient(copied, async (client) => {
    await client.query(
      `CREATE FUNCTION public.slow_row(id int) RETURNS boolean LANGUAGE sql
         AS $$ SELECT CASE WHEN id % 20000 = 0 THEN pg_sleep(0.3) IS NOT NULL ELSE true END $$`,
    );
    await client.query(`CREATE TABLE public.filler (id int CHECK (public.slow_row(id)))`);
  });
  // A database made from it holds the same table under the same oid: renamed there, its pg_class would misname it.
  const watcherName = `watch_from_${randomBytes(4).toString('hex')}`;
  await withClient(parseConnectionString(cluster.url()), (client) =>
    client.query(`CREATE DATABASE "${watcherName}" TEMPLATE "${copied.database}"`),
  );
  const watcher = parseConnectionString(cluster.url(watcherName));
  await withClient(watcher, (client) => client.query('ALTER TABLE public.filler RENAME TO elsewhere'));
  const target = { ...copied, applicationName: 'obexal-runbook pg_restore watch-test' };
  // The reader is connected before the COPY starts, and reads until it ends (it pauses 0.3 s every 20,000 rows).
  const samples = await withClient(ownConnection(watcher), async (reader) => {
    const seen: CopySample[] = [];
    let finished = false;
    const copying = withClient(target, (client) => client.query(`COPY public.filler FROM PROGRAM 'seq 1 100000'`));
    const ended = copying.finally(() => (finished = true));
    while (!finished) {
      seen.push(...(await readCopyProgress(reader, target)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await ended;
    return seen;
  });
  assert.ok(samples.length > 0, 'readings while the COPY ran');
  for (const sample of samples) assert.equal(sample.table, 'public.filler', JSON.stringify(sample));
});
