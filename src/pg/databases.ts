/** Creating and dropping databases in a throwaway cluster, as its superuser. */
import { UsageError } from '../core/errors.js';
import { withClient } from './client.js';
import type { Cluster } from './cluster.js';
import { parseConnectionString } from './target.js';

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) {
    throw new UsageError(
      `invalid database name ${JSON.stringify(name)}`,
      'use lower-case letters, digits and underscores (at most 63), starting with a letter or underscore',
    );
  }
}

/** Creates database `name` (from template0, UTF-8) and returns its URL. */
export async function createDatabase(
  cluster: Cluster,
  name: string,
  options: { owner?: string } = {},
): Promise<string> {
  assertDatabaseName(name);
  if (options.owner !== undefined) assertDatabaseName(options.owner);
  await withClient(parseConnectionString(cluster.url('postgres')), async (client) => {
    const owner = options.owner === undefined ? '' : ` OWNER "${options.owner}"`;
    await client.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'${owner}`);
  });
  return cluster.url(name);
}

/** Drops database `name` if it exists, ending its sessions first. */
export async function dropDatabase(cluster: Cluster, name: string): Promise<void> {
  assertDatabaseName(name);
  await withClient(parseConnectionString(cluster.url('postgres')), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}
