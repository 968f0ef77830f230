/**
 * restore.check on the swap's copy takes the copy step's exact row counts instead of counting again, only when
 * they were taken on this very database (its OID) from this dump (its SHA-256); otherwise it counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreChecks, type CopyCounts } from '../../src/restore/check.js';
import { resolveProfile } from '../../src/profile/config.js';
import type { VerifiedDump } from '../../src/restore/types.js';
import { freshDatabase, withCluster, withDatabaseUrl } from '../helpers/pg.js';

const cluster = await withCluster();

/** A verified dump whose manifest counts 5 rows in `counted_t` (the database holds 2). */
const dump = {
  plaintextSha256: 'a'.repeat(64),
  manifest: { rowCounts: { counted_t: 5 }, schemaMigration: { version: null } },
  archive: { tableData: [], extensions: [], triggers: [], sequences: 0, largeObjects: 0 },
} as unknown as VerifiedDump;
const profile = resolveProfile({ get: () => undefined });

async function rowCountsOutcome(url: string, counted: (oid: number) => CopyCounts | undefined) {
  return withDatabaseUrl(url, async (client) => {
    await client.query('CREATE TABLE counted_t (id int); INSERT INTO counted_t VALUES (1), (2)');
    const oid = Number(
      (await client.query('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0].oid,
    );
    const outcomes = await restoreChecks(client, dump, profile, 'at-least', counted(oid));
    return outcomes.find((o) => o.name === 'row counts')!;
  });
}

const detail = '1 table(s) as the manifest counted them';

describe('restore.check with the copy step counts', () => {
  it('counts taken on this database from this dump stand (the table is not counted again)', async () => {
    const url = await freshDatabase(cluster, 'counted');
    const outcome = await rowCountsOutcome(url, (oid) => ({
      database: 'x',
      oid,
      plaintextSha256: dump.plaintextSha256,
      detail,
    }));
    assert.equal(outcome.ok, true);
    assert.match(outcome.detail, /counted exactly on this copy by the step that restored it/);
  });

  it('counts of another database are not taken: the table is counted (2 rows, the manifest says 5)', async () => {
    const url = await freshDatabase(cluster, 'counted');
    const outcome = await rowCountsOutcome(url, (oid) => ({
      database: 'x',
      oid: oid + 1,
      plaintextSha256: dump.plaintextSha256,
      detail,
    }));
    assert.equal(outcome.ok, false);
    assert.match(outcome.detail, /counted_t: 2 rows, the manifest counted 5/);
  });

  it('counts from another dump are not taken', async () => {
    const url = await freshDatabase(cluster, 'counted');
    const outcome = await rowCountsOutcome(url, (oid) => ({
      database: 'x',
      oid,
      plaintextSha256: 'b'.repeat(64),
      detail,
    }));
    assert.equal(outcome.ok, false);
  });

  it('without counts the table is counted', async () => {
    const url = await freshDatabase(cluster, 'counted');
    const outcome = await rowCountsOutcome(url, () => undefined);
    assert.equal(outcome.ok, false);
  });
});
