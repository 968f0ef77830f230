/**
 * The `pg` client and the client programs (psql, pg_dump) connect the same way through each libpq route: the
 * target is resolved once, the client gets its fields and the programs get `childEnvFor` (the password in their
 * environment, nothing on the command line). The test cluster asks for a scram-sha-256 password on every
 * connection, so a route that reached only one of them fails here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { withClient } from '../../src/pg/client.js';
import { findProgram } from '../../src/pg/programs.js';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import { freshDatabase, withCluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const cluster = await withCluster();
let database: string;
const noHome = { HOME: '/nonexistent-home', PATH: process.env.PATH };

before(async () => {
  database = parseConnectionString(await freshDatabase(cluster, 'childauth')).database;
});

function privateFile(name: string, text: string): string {
  const file = join(tempDir('obexal-childauth-'), name);
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return file;
}

/** Connects with node-postgres, then runs psql and pg_dump with the child environment; returns what each saw. */
async function connectEveryWay(conninfo: string, env: Record<string, string | undefined>): Promise<string[]> {
  const target = parseConnectionString(conninfo, env);
  const fromClient = await withClient(
    target,
    async (client) => (await client.query<{ db: string }>('select current_database() as db')).rows[0]!.db,
  );
  const childEnv = childEnvFor(target, env);
  const psql = await run(await findProgram('psql'), ['-X', '-A', '-t', '-c', 'select current_database()'], {
    env: childEnv,
  });
  const dump = await run(await findProgram('pg_dump', { minMajor: cluster.major }), ['--schema-only'], {
    env: childEnv,
  });
  assert.match(dump.stdout, /PostgreSQL database dump/);
  return [fromClient, psql.stdout.trim()];
}

describe('node-postgres, psql and pg_dump through each route', () => {
  const url = () => `postgres://obexal@127.0.0.1:${cluster.port}/${database}`;

  it('PGPASSWORD', async () => {
    assert.deepEqual(await connectEveryWay(url(), { ...noHome, PGPASSWORD: cluster.password }), [database, database]);
  });

  it('PGPASSFILE', async () => {
    const file = privateFile('pgpass', `127.0.0.1:${cluster.port}:${database}:obexal:${cluster.password}\n`);
    assert.deepEqual(await connectEveryWay(url(), { ...noHome, PGPASSFILE: file }), [database, database]);
  });

  it('~/.pgpass', async () => {
    const home = tempDir('obexal-childauth-home-');
    writeFileSync(join(home, '.pgpass'), `*:${cluster.port}:*:obexal:${cluster.password}\n`, { mode: 0o600 });
    assert.deepEqual(await connectEveryWay(url(), { PATH: process.env.PATH, HOME: home }), [database, database]);
  });

  it('PGSERVICE and PGSERVICEFILE, with an empty connection string', async () => {
    const file = privateFile(
      'pg_service.conf',
      `[db]\nhost=127.0.0.1\nport=${cluster.port}\ndbname=${database}\nuser=obexal\npassword=${cluster.password}\n`,
    );
    assert.deepEqual(await connectEveryWay('', { ...noHome, PGSERVICE: 'db', PGSERVICEFILE: file }), [
      database,
      database,
    ]);
  });

  it('a keyword/value string with PGHOST & co. filling the rest', async () => {
    const env = { ...noHome, PGHOST: '127.0.0.1', PGPORT: String(cluster.port), PGPASSWORD: cluster.password };
    assert.deepEqual(await connectEveryWay(`dbname=${database} user=obexal`, env), [database, database]);
  });
});
