/** PostgreSQL access for the auth-service: one pool for `serve`, one client for the other subcommands. */
import pg from 'pg';
import { StepFailedError } from '../../core/errors.js';

export type Queryable = Pick<pg.ClientBase, 'query'>;

const APPLICATION_NAME = 'obexal-sandbox-auth-service';

export function createPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 8, application_name: APPLICATION_NAME });
  // An idle client losing its connection must not crash the service; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

export async function connectClient(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: APPLICATION_NAME });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new StepFailedError(
      `cannot reach the database of DATABASE_URL: ${(error as Error).message}`,
      'check that PostgreSQL runs and that DATABASE_URL names the right host, port, database, user and password',
    );
  }
  return client;
}

/** Runs `work` in one transaction on a client of its own. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
