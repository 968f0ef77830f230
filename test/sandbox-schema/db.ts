/**
 * Connections to fresh databases of this test file's cluster (test/helpers/pg.ts). Importing this module
 * registers, at the file's top level, the hook that closes the connections and then the cluster's own hook.
 */
import { after } from 'node:test';
import pg from 'pg';
import { freshDatabase, withCluster } from '../helpers/pg.js';

const clients: pg.Client[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
});
const cluster = withCluster();
cluster.catch(() => undefined); // reported by the first connectFresh that awaits it

export async function connectFresh(prefix: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: await freshDatabase(await cluster, prefix) });
  await client.connect();
  clients.push(client);
  return client;
}
