/**
 * The swap copy's speed-ups, against a real throwaway cluster: pg_restore's own sessions get the copy's settings
 * (PGOPTIONS), a role that may not set one still restores (without them, warned), and the exact row counts come
 * from the new copy's statistics only where those agree with the table (else `count(*)`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { childEnvFor, parseConnectionString, type PgTarget } from '../../src/pg/target.js';
import { findPgRestore } from '../../src/restore/archive.js';
import { compareRowCounts } from '../../src/restore/checks.js';
import { COPY_SESSION_SETTINGS } from '../../src/restore/copy.js';
import { loadedRowCounts, rowsLoaded } from '../../src/restore/loaded-counts.js';
import { pgOptionsOf, refusedSessionSettings, runPgRestore } from '../../src/restore/pg-restore-run.js';
import { removeTempDirs, tempDir } from '../backup/helpers.js';
import { freshDatabase, withCluster } from '../helpers/pg.js';

after(() => removeTempDirs());
const clusterReady = withCluster();

let file: string;
let superuser: PgTarget;

// A materialized view is filled by pg_restore's own session (REFRESH, post-data): it records that session's settings.
const SOURCE_SQL = `
  CREATE TABLE public.a (id int PRIMARY KEY, v text);
  INSERT INTO public.a SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
  CREATE TABLE public.b (id int);
  INSERT INTO public.b SELECT g FROM generate_series(1, 70) g;
  CREATE MATERIALIZED VIEW public.seen AS
    SELECT current_setting('work_mem') AS work_mem, current_setting('synchronous_commit') AS sc;`;

async function restoreInto(
  into: PgTarget,
  settings: Record<string, string>,
  jobs = 1,
): Promise<{ warnings: string[]; seen: { work_mem: string; sc: string } }> {
  const warnings: string[] = [];
  await runPgRestore({
    program: await findPgRestore(),
    file,
    target: into,
    args: ['--no-owner'],
    jobs,
    totalItems: 8,
    rowCounts: { a: 3000, b: 70 },
    signal: new AbortController().signal,
    sessionSettings: settings,
    onWarn: (text) => warnings.push(text),
    onProgress: () => undefined,
    onLine: () => undefined,
  });
  const seen = await withClient(
    into,
    async (c) => (await c.query<{ work_mem: string; sc: string }>('SELECT * FROM public.seen')).rows[0],
  );
  assert.ok(seen);
  return { warnings, seen };
}

before(async () => {
  const cluster = await clusterReady;
  superuser = parseConnectionString(await freshDatabase(cluster, 'copy_speed_src'));
  await withClient(superuser, (c) => c.query(SOURCE_SQL));
  file = join(tempDir('obexal-copy-speed-'), 'source.dump');
  execFileSync('pg_dump', ['--format=custom', '--compress=0', `--file=${file}`], { env: childEnvFor(superuser) });
});

describe("pg_restore's session settings", () => {
  it('reach every session of pg_restore, one job or two', async () => {
    const cluster = await clusterReady;
    for (const jobs of [1, 2]) {
      const into = parseConnectionString(await freshDatabase(cluster, `copy_speed_j${jobs}`));
      const { warnings, seen } = await restoreInto(into, { work_mem: '7MB', synchronous_commit: 'off' }, jobs);
      assert.deepEqual(seen, { work_mem: '7MB', sc: 'off' });
      assert.deepEqual(warnings, []);
    }
  });

  it('the copy asks for synchronous_commit=off only (a setting any role may change)', () => {
    assert.deepEqual(COPY_SESSION_SETTINGS, { synchronous_commit: 'off' });
    assert.equal(pgOptionsOf(COPY_SESSION_SETTINGS), '-c synchronous_commit=off');
    assert.equal(pgOptionsOf({ search_path: 'a b\\c' }), '-c search_path=a\\ b\\\\c');
  });

  it('a role that may not set one restores without them, and says so', async () => {
    const cluster = await clusterReady;
    const into = parseConnectionString(await freshDatabase(cluster, 'copy_speed_plain_role'));
    const password = 'plain-role-pw-1';
    await withClient(superuser, async (c) => {
      await c.query(`CREATE ROLE copy_speed_plain LOGIN PASSWORD '${password}'`);
      await c.query(`ALTER DATABASE ${into.database} OWNER TO copy_speed_plain`);
    });
    const plain: PgTarget = { ...into, user: 'copy_speed_plain', password };
    // session_replication_role is for superusers only: the server refuses it at connection.
    const { warnings, seen } = await restoreInto(plain, { work_mem: '7MB', session_replication_role: 'replica' });
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /refused pg_restore's session settings .*restoring without them/);
    assert.notEqual(seen.work_mem, '7MB', 'restored without the settings');
    assert.deepEqual(
      await withClient(plain, async (c) => (await c.query('SELECT count(*)::int AS n FROM public.a')).rows[0]),
      { n: 3000 },
    );
  });

  it('tells a refused setting from any other failure', () => {
    const fatal = (text: string) => [`pg_restore: error: connection to server on socket "/x" failed: FATAL:  ${text}`];
    assert.equal(refusedSessionSettings(fatal('permission denied to set parameter "session_replication_role"')), true);
    assert.equal(refusedSessionSettings(fatal('unsupported startup parameter: options')), true);
    assert.equal(refusedSessionSettings(fatal('password authentication failed for user "x"')), false);
    assert.equal(
      refusedSessionSettings(['pg_restore: error: could not execute query: ERROR:  relation exists']),
      false,
    );
  });
});

describe("the copy's row counts", () => {
  async function restored(prefix: string): Promise<PgTarget> {
    const into = parseConnectionString(await freshDatabase(await clusterReady, prefix));
    await restoreInto(into, {});
    return into;
  }

  /** Waits until this server's statistics show what `probe` wants (another session's figures flush at its end). */
  async function untilStats(into: PgTarget, probe: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const ok = await withClient(into, async (c) => (await c.query<{ ok: boolean }>(probe)).rows[0]?.ok);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`the statistics never showed: ${probe}`);
  }

  const tables = [
    { schema: 'public', name: 'a' },
    { schema: 'public', name: 'b' },
  ];

  it('come from the statistics of the freshly restored copy when they agree', async () => {
    const into = await restored('copy_speed_counts');
    await untilStats(into, `SELECT pg_stat_get_tuples_inserted('public.b'::regclass) = 70 AS ok`);
    const loaded = await withClient(into, (c) => rowsLoaded(c, tables));
    assert.deepEqual(
      [...loaded.entries()],
      [
        [0, 3000],
        [1, 70],
      ],
    );
    const outcome = await withClient(into, (c) => compareRowCounts(c, { a: 3000, b: 70 }, 'exact', loadedRowCounts));
    assert.deepEqual([outcome.ok, outcome.detail], [true, '2 table(s) as the manifest counted them']);
  });

  it('a manifest that counted otherwise still fails, by the rows the table holds', async () => {
    const into = await restored('copy_speed_wrong');
    const outcome = await withClient(into, (c) => compareRowCounts(c, { a: 3001, b: 70 }, 'exact', loadedRowCounts));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.detail, 'a: 3000 rows, the manifest counted 3001');
  });

  it('a table emptied or cut after the load is counted with count(*), not taken from the statistics', async () => {
    const into = await restored('copy_speed_changed');
    await withClient(into, async (c) => {
      await c.query('TRUNCATE public.b');
      await c.query('DELETE FROM public.a WHERE id <= 10');
      await c.query('SELECT pg_stat_force_next_flush()');
    });
    await untilStats(
      into,
      `SELECT pg_stat_get_tuples_deleted('public.a'::regclass) = 10
          AND pg_stat_get_live_tuples('public.b'::regclass) = 0 AS ok`,
    );
    const loaded = await withClient(into, (c) => rowsLoaded(c, tables));
    assert.deepEqual([...loaded.keys()], [], 'neither table is taken from the statistics');
    const outcome = await withClient(into, (c) => compareRowCounts(c, { a: 3000, b: 70 }, 'exact', loadedRowCounts));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.detail, 'a: 2990 rows, the manifest counted 3000; b: 0 rows, the manifest counted 70');
  });

  it('a table with rows rolled back is counted, though its inserted rows are what the manifest says', async () => {
    const into = await restored('copy_speed_rolled_back');
    await withClient(into, async (c) => {
      await c.query('BEGIN');
      await c.query('INSERT INTO public.b SELECT g FROM generate_series(1, 5) g');
      await c.query('ROLLBACK');
      await c.query('SELECT pg_stat_force_next_flush()');
    });
    await untilStats(into, `SELECT pg_stat_get_tuples_inserted('public.b'::regclass) = 75 AS ok`);
    const outcome = await withClient(into, (c) => compareRowCounts(c, { a: 3000, b: 75 }, 'exact', loadedRowCounts));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.detail, 'b: 70 rows, the manifest counted 75');
  });
});
