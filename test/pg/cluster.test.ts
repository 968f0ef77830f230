import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { connect } from '../../src/pg/client.js';
import { startCluster } from '../../src/pg/cluster.js';
import { isAlive } from '../../src/pg/cluster-process.js';
import { createDatabase, dropDatabase } from '../../src/pg/databases.js';
import { ClusterError, PgConnectionError } from '../../src/pg/errors.js';
import { serverUserFor } from '../../src/pg/server-user.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { freshDatabase, withCluster } from '../helpers/pg.js';

const cluster = await withCluster();

function uidOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((status) => Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]));
}

describe('a throwaway cluster', () => {
  it('runs the server as the postgres user when we are root, in a private folder', async () => {
    const user = await serverUserFor();
    const expectedUid = user?.uid ?? process.getuid?.();
    assert.equal(await uidOf(cluster.postmasterPid), expectedUid);
    if (process.getuid?.() === 0) assert.notEqual(expectedUid, 0);
    for (const dir of [cluster.rootDir, cluster.dataDir, cluster.socketDir]) {
      const info = await stat(dir);
      assert.equal(info.mode & 0o777, 0o700, dir);
      assert.equal(info.uid, expectedUid, dir);
    }
    assert.ok(existsSync(join(cluster.socketDir, `.s.PGSQL.${cluster.port}`)), 'the socket is in the private folder');
    assert.ok(!existsSync(join(cluster.rootDir, 'pwfile')), 'the password file is gone');
  });

  it('accepts the superuser with its password over TCP, with scram-sha-256, listening only on loopback', async () => {
    const client = await connect(parseConnectionString(cluster.url()));
    try {
      const { rows } = await client.query<{ user: string; method: string; listen: string; fsync: string }>(
        `SELECT current_user AS user, current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync,
                (SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' LIMIT 1) AS method`,
      );
      assert.deepEqual(rows[0], { user: 'obexal', listen: '127.0.0.1', fsync: 'off', method: 'scram-sha-256' });
    } finally {
      await client.end();
    }
  });

  it('accepts a password login through the unix socket in the private folder', async () => {
    const target = parseConnectionString(
      `postgres://obexal:${encodeURIComponent(cluster.password)}@/postgres?host=${cluster.socketDir}&port=${cluster.port}`,
    );
    const client = await connect(target);
    try {
      const { rows } = await client.query<{ tcp: string | null }>('SELECT inet_server_addr()::text AS tcp');
      assert.equal(rows[0]?.tcp, null, 'a socket connection has no server address');
    } finally {
      await client.end();
    }
    await assert.rejects(
      connect({ ...target, password: 'not-the-password' }),
      (error: unknown) => error instanceof PgConnectionError && error.problem === 'auth',
    );
  });

  it('rejects a wrong password with the typed auth error, and the message holds no password', async () => {
    const wrong = 'Wr0ng-Passw0rd-xyz';
    const target = parseConnectionString(
      cluster.url().replace(encodeURIComponent(cluster.password), encodeURIComponent(wrong)),
    );
    await assert.rejects(connect(target), (error: unknown) => {
      assert.ok(error instanceof PgConnectionError, String(error));
      assert.equal(error.problem, 'auth');
      assert.equal(error.code, '28P01');
      assert.match(error.hint ?? '', /check the user and password in DATABASE_URL; the password is not shown/);
      for (const secret of [wrong, cluster.password])
        assert.ok(!error.message.includes(secret) && !(error.hint ?? '').includes(secret));
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${cluster.port}/postgres`));
      return true;
    });
  });

  it('refuses a connection without a password (the server asks for one)', async () => {
    const target = parseConnectionString(`postgres://obexal@127.0.0.1:${cluster.port}/postgres`);
    const saved = process.env.PGPASSWORD;
    delete process.env.PGPASSWORD;
    try {
      await assert.rejects(
        connect({ ...target, password: undefined }),
        (error: unknown) => error instanceof PgConnectionError && error.problem === 'auth',
      );
    } finally {
      if (saved !== undefined) process.env.PGPASSWORD = saved;
    }
  });

  it('says when the database does not exist, and when nothing listens', async () => {
    await assert.rejects(connect(parseConnectionString(cluster.url('no_such_db'))), (error: unknown) => {
      assert.ok(error instanceof PgConnectionError);
      assert.equal(error.problem, 'no-database');
      return true;
    });
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
      });
    });
    const target = parseConnectionString(
      `postgres://obexal:${encodeURIComponent(cluster.password)}@127.0.0.1:${closedPort}/postgres`,
    );
    await assert.rejects(connect(target), (error: unknown) => {
      assert.ok(error instanceof PgConnectionError);
      assert.equal(error.problem, 'unreachable');
      assert.match(error.hint ?? '', /is the server running\? check host and port in DATABASE_URL/);
      assert.ok(!error.message.includes(cluster.password));
      return true;
    });
  });

  it('creates and drops databases, and gives each test a fresh one', async () => {
    const url = await freshDatabase(cluster, 'cluster-test');
    const name = new URL(url).pathname.slice(1);
    assert.match(name, /^cluster_test_[0-9a-f]{10}$/);
    const client = await connect(parseConnectionString(url));
    assert.equal((await client.query('SELECT current_database() AS db')).rows[0].db, name);
    await client.end();
    await dropDatabase(cluster, name);
    await assert.rejects(
      connect(parseConnectionString(url)),
      (error: unknown) => error instanceof PgConnectionError && error.problem === 'no-database',
    );
    assert.equal(await createDatabase(cluster, 'made_here'), cluster.url('made_here'));
    await dropDatabase(cluster, 'made_here');
  });
});

describe('starting and stopping', () => {
  it('stop() ends the server and removes everything; a second stop() is harmless', async () => {
    const own = await startCluster({ password: 'given password with spaces & symbols' });
    const client = new pg.Client({ connectionString: own.url() });
    await client.connect();
    await client.end();
    await own.stop();
    assert.equal(existsSync(own.rootDir), false);
    assert.equal(isAlive(own.postmasterPid), false);
    await own.stop();
  });

  it('refuses a port that is taken, with a typed error and the log tail', async () => {
    await assert.rejects(startCluster({ port: cluster.port }), (error: unknown) => {
      assert.ok(error instanceof ClusterError, String(error));
      assert.equal(error.problem, 'port-in-use');
      assert.match(error.message, /Address already in use|could not create any TCP\/IP sockets/);
      assert.match(error.hint ?? '', /another port/);
      return true;
    });
  });

  it(
    'as root, says so when there is no server user, or when it cannot enter the folder',
    { skip: process.getuid?.() !== 0 },
    async () => {
      await assert.rejects(
        serverUserFor('obexal-no-such-user'),
        (error: unknown) =>
          error instanceof ClusterError && error.problem === 'no-server-user' && /useradd/.test(error.hint ?? ''),
      );
      const closed = await mkdtemp(join(tmpdir(), 'obexal-test-closed-'));
      try {
        await assert.rejects(
          startCluster({ rootDir: closed }),
          (error: unknown) => error instanceof ClusterError && error.problem === 'unreachable-folder',
        );
        assert.deepEqual(await readdir(closed), []);
      } finally {
        await rm(closed, { recursive: true, force: true });
      }
    },
  );

  it('honours settings given by the caller over the throwaway defaults', async () => {
    const own = await startCluster({ settings: { fsync: 'on', application_name: "it's set" } });
    try {
      const client = await connect(parseConnectionString(own.url()));
      const { rows } = await client.query(
        `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc`,
      );
      await client.end();
      assert.deepEqual(rows[0], { fsync: 'on', sc: 'off' });
    } finally {
      await own.stop();
    }
  });
});
