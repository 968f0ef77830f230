/**
 * Data offsets written into an archive pg_dump wrote to a pipe (src/restore/archive-offsets.ts), against the real
 * pg_dump and pg_restore: the archive with its offsets restores exactly as the one without (same SQL, same rows,
 * with -j2 and with --table), uncompressed, gzip-compressed and with large objects; an archive the scanner does not
 * follow to its end is left byte for byte as it was.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArchiveOffsetScanner, fillArchiveOffsets } from '../../src/restore/archive-offsets.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { freshDatabase, withCluster, withDatabaseUrl } from '../helpers/pg.js';

const cluster = await withCluster();
const dir = mkdtempSync(join(tmpdir(), 'archive-offsets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let source: string;

const bin = (name: string) => `/usr/lib/postgresql/${cluster.major}/bin/${name}`;
const env = (url: string) => ({ ...process.env, ...childEnvFor(parseConnectionString(url)) });
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

before(async () => {
  source = await freshDatabase(cluster, 'offsets_src');
  await withDatabaseUrl(source, async (client) => {
    await client.query('CREATE TABLE audit_log (id int PRIMARY KEY, body text)');
    await client.query("INSERT INTO audit_log SELECT g, repeat('event ' || g, 20) FROM generate_series(1, 30000) g");
    await client.query('CREATE TABLE users (id int PRIMARY KEY, email text)');
    await client.query("INSERT INTO users SELECT g, 'u' || g || '@example.eu' FROM generate_series(1, 500) g");
    await client.query('CREATE TABLE "odd.name ""q""" (v text)');
    await client.query(`INSERT INTO "odd.name ""q""" VALUES ('x'), ('y')`);
    await client.query("SELECT lo_from_bytea(0, decode(repeat('ab', 5000), 'hex'))");
  });
});

/** pg_dump into a pipe, as the tool's backup does: the table of contents holds no data offsets. */
function pipedDump(name: string, compress: number): string {
  const file = join(dir, name);
  const dump = `"${bin('pg_dump')}" --format=custom --compress=${compress} --no-password | cat > "${file}"`;
  execFileSync('sh', ['-c', dump], { env: env(source) });
  return file;
}

async function withOffsets(file: string): Promise<{ path: string; filled: number }> {
  const path = `${file}.filled`;
  copyFileSync(file, path);
  const scanner = new ArchiveOffsetScanner();
  const bytes = readFileSync(file);
  for (let i = 0; i < bytes.length; i += 7919) scanner.feed(bytes.subarray(i, i + 7919)); // odd chunk edges
  return { path, filled: await fillArchiveOffsets(path, scanner) };
}

/** The script pg_restore makes of an archive, without its per-run random `\\restrict` key lines. */
const asSql = (file: string, ...args: string[]) =>
  execFileSync(bin('pg_restore'), ['--file=-', ...args, file], { maxBuffer: 1 << 28 })
    .toString()
    .replace(/^\\(un)?restrict .*$/gm, '');

async function restoredCounts(file: string, jobs: number): Promise<Record<string, string>> {
  const url = await freshDatabase(cluster, 'offsets_dst');
  const args = ['--no-owner', '--exit-on-error', `--jobs=${jobs}`, `--dbname=${parseConnectionString(url).database}`];
  execFileSync(bin('pg_restore'), [...args, file], { env: env(url) });
  return withDatabaseUrl(url, async (client) => {
    const { rows } = await client.query<{ a: string; u: string; o: string; l: string }>(
      'SELECT (SELECT count(*) FROM audit_log) a, (SELECT count(*) FROM users) u, ' +
        `(SELECT count(*) FROM "odd.name ""q""") o, (SELECT count(*) FROM pg_largeobject_metadata) l`,
    );
    return rows[0] as Record<string, string>;
  });
}

describe('data offsets of a piped archive', () => {
  for (const compress of [0, 6]) {
    it(`compress=${compress}: filled for every table; the same SQL, and the same rows with -j2`, async () => {
      const piped = pipedDump(`piped-${compress}.dump`, compress);
      const { path, filled } = await withOffsets(piped);
      assert.ok(filled >= 4, `offsets written for the three tables and the large objects (${filled})`);
      assert.notEqual(sha(path), sha(piped), 'the table of contents changed');
      assert.equal(asSql(path), asSql(piped));
      assert.equal(asSql(path, '--data-only', '--table=users'), asSql(piped, '--data-only', '--table=users'));
      const expected = { a: '30000', u: '500', o: '2', l: '1' };
      assert.deepEqual(await restoredCounts(path, 2), expected);
      assert.deepEqual(await restoredCounts(piped, 1), expected);
    });
  }

  it('leaves an archive it cannot follow to its end exactly as it was', async () => {
    const piped = pipedDump('cut.dump', 0);
    const cut = join(dir, 'cut-short.dump');
    writeFileSync(cut, readFileSync(piped).subarray(0, 200_000));
    const { path, filled } = await withOffsets(cut);
    assert.equal(filled, 0);
    assert.equal(sha(path), sha(cut));
    const notArchive = join(dir, 'not-an-archive');
    writeFileSync(notArchive, 'PGDMP but nothing else that makes sense '.repeat(100));
    const other = await withOffsets(notArchive);
    assert.equal(other.filled, 0);
    assert.equal(sha(other.path), sha(notArchive));
  });
});
