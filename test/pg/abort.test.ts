import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { InterruptedError } from '../../src/core/errors.js';
import { connect, isQueryCanceled } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { withCluster } from '../helpers/pg.js';

const cluster = await withCluster();
const target = parseConnectionString(cluster.url());

async function sleepingBackends(): Promise<number> {
  const observer = await connect(target);
  try {
    const { rows } = await observer.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND pid <> pg_backend_pid()`,
    );
    return rows[0]?.n ?? 0;
  } finally {
    await observer.end();
  }
}

describe('aborting', () => {
  it('cancels a running SELECT pg_sleep(30): it ends with the cancel error and leaves nothing on the server', async () => {
    const controller = new AbortController();
    const client = await connect(target, controller.signal);
    const running = client.query('SELECT pg_sleep(30) /* abort test */');
    const outcome = running.then(
      () => 'finished',
      (error: unknown) => error,
    );
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    while ((await sleepingBackends()) === 0) await sleep(20); // the query is running on the server
    controller.abort();
    const error = await outcome;
    assert.notEqual(error, 'finished');
    assert.ok(isQueryCanceled(error), `expected the cancel error (57014), got ${String(error)}`);
    assert.match((error as Error).message, /canceling statement due to user request/);
    await ended;
    assert.equal(await sleepingBackends(), 0);
  });

  it('ends an idle client on abort', async () => {
    const controller = new AbortController();
    const client = await connect(target, controller.signal);
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    controller.abort();
    await ended;
    await assert.rejects(client.query('SELECT 1'));
  });

  it(
    'stops a connection on its way: connect() rejects at once instead of waiting forever',
    { timeout: 20_000 },
    async () => {
      const controller = new AbortController();
      const connecting = connect(target, controller.signal);
      controller.abort(); // the socket is opening: node-postgres alone would never settle its connect()
      await assert.rejects(connecting, InterruptedError);
    },
  );

  it('refuses to connect with a signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(connect(target, controller.signal), InterruptedError);
  });
});
