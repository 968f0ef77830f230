/**
 * The foreign-database builder itself: each option that the database-level round trips rely on (ICU, WIN1252,
 * comment, settings, role settings, grants, a non-superuser owner) is really there, so that a round-trip test
 * built on it can fail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentHashes, describeDatabase, foreignDatabase } from '../helpers/foreign-db.js';
import { withCluster, withDatabaseUrl } from '../helpers/pg.js';

const clusterReady = withCluster();

describe('foreign database builder', () => {
  it('builds an ICU database owned by a non-superuser, with a comment, settings, role settings and grants', async () => {
    const cluster = await clusterReady;
    const db = await foreignDatabase(cluster, {
      prefix: 'fixture_icu',
      rows: 10,
      owner: { role: 'fixture_owner', password: 'pw-fixture' },
      icuLocale: 'de-DE',
      comment: 'the shop database',
      settings: { work_mem: '8MB' },
      roleSettings: [{ role: 'fixture_reader', name: 'statement_timeout', value: '5s' }],
      grants: [{ role: 'fixture_reader', privilege: 'CONNECT' }],
    });
    const props = await describeDatabase(cluster.url('postgres'), db.name);
    assert.equal(props.owner, 'fixture_owner');
    assert.equal(props.provider, 'i');
    assert.equal(props.icu, 'de-DE');
    assert.equal(props.comment, 'the shop database');
    assert.deepEqual(props.settings?.sort(), ['statement_timeout=5s', 'work_mem=8MB'].sort());
    assert.match(props.acl ?? '', /fixture_reader=c\/fixture_owner/);
    assert.ok(db.ownerUrl, 'the owner can log in');
    const owned = await withDatabaseUrl(
      db.ownerUrl,
      async (client) =>
        (
          await client.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'sales', 'my.schema') AND c.relkind = 'r' AND pg_get_userbyid(c.relowner) <> 'fixture_owner'`,
          )
        ).rows[0]?.n,
    );
    assert.equal(owned, '0', 'every table belongs to the non-superuser owner');
  });

  it('builds a WIN1252 database with the C locale and the same tables', async () => {
    const cluster = await clusterReady;
    const db = await foreignDatabase(cluster, { prefix: 'fixture_win', rows: 10, win1252: true });
    const props = await describeDatabase(cluster.url('postgres'), db.name);
    assert.equal(props.encoding, 'WIN1252');
    assert.equal(props.collate, 'C');
    const hashes = await contentHashes(db.url);
    assert.ok(
      hashes['public."sales.orders"'] && hashes['sales.orders'] && hashes['"my.schema".t'],
      Object.keys(hashes).join(', '),
    );
  });
});
