/**
 * PostgreSQL for tests: one throwaway cluster per test file (node --test runs each file in its own process),
 * stopped by an `after()` hook, and a fresh database per test. Call `withCluster()` at the top level of the
 * file (or in a top-level `before()`), so that its `after()` hook belongs to the whole file.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { startCluster, type Cluster, type StartClusterOptions } from '../../src/pg/cluster.js';
import type pg from 'pg';
import { withClient } from '../../src/pg/client.js';
import { createDatabase } from '../../src/pg/databases.js';
import { parseConnectionString } from '../../src/pg/target.js';

let shared: Promise<Cluster> | undefined;

export function withCluster(options?: StartClusterOptions): Promise<Cluster> {
  if (!shared) {
    shared = startCluster(options);
    after(async () => {
      const cluster = await shared?.catch(() => undefined);
      shared = undefined;
      await cluster?.stop();
    });
  }
  return shared;
}

/** Creates a new database `<prefix>_<random>` in `cluster` and returns its URL. */
export async function freshDatabase(cluster: Cluster, prefix = 'test'): Promise<string> {
  const safePrefix = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^([^a-z_])/, '_$1')
    .slice(0, 40);
  return createDatabase(cluster, `${safePrefix}_${randomBytes(5).toString('hex')}`);
}

/** A client on the test database named by `url`, through the tool's own client, ended after `work`. */
export function withDatabaseUrl<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(parseConnectionString(url), work);
}
