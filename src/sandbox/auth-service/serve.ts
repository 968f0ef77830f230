/**
 * `serve`: checks the schema and every stored secret, then listens. It refuses to start (exit 1) when a stored
 * secret opens under none of the keys it was given, as Obexal does, naming the table and row, never the value.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { checkSchemaCompatibility } from './accounts.js';
import { readDatabaseUrl, readKeyRing, readListenConfig, type KeyRing } from './config.js';
import { createPool } from './db.js';
import { resolveEncryptedColumns } from './encrypted-columns.js';
import { createAuthServer } from './http/server.js';
import { MfaChallenges } from './mfa-challenges.js';
import { warmUpPasswordCheck } from './password.js';
import { describeUnreadable } from './secret-scan.js';
import { censusOfSecrets } from './startup-check.js';
import { StepFailedError } from '../../core/errors.js';
import type { Output } from './output.js';

export async function serve(env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const databaseUrl = readDatabaseUrl(env);
  const keys = readKeyRing(env);
  const listen = readListenConfig(env);
  const pool = createPool(databaseUrl);
  try {
    await checkBeforeListening(pool, keys);
    warmUpPasswordCheck();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }

  let boundHost = listen.host;
  let boundPort = listen.port;
  const challenges = new MfaChallenges();
  const server = createAuthServer(
    {
      pool,
      keys,
      challenges,
      issuer: () => listen.issuer ?? `http://${boundHost.includes(':') ? `[${boundHost}]` : boundHost}:${boundPort}`,
    },
    (line) => out.error(line),
  );

  await listenOn(server, listen).catch(async (error: unknown) => {
    await pool.end().catch(() => undefined);
    throw error;
  });
  const address = server.address() as AddressInfo;
  boundHost = listen.host;
  boundPort = address.port;

  // The handlers are in place before the ready line: a supervisor may signal the moment it reads it.
  const stopped = stopOnSignal(server, pool);
  out.info(`listening on http://${boundHost.includes(':') ? `[${boundHost}]` : boundHost}:${boundPort}`);
  return stopped;
}

/** The database answers, its schema is one this service works with, and every stored secret opens. */
async function checkBeforeListening(pool: Pool, keys: KeyRing): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    throw new StepFailedError(
      `cannot reach the database of DATABASE_URL: ${(error as Error).message}`,
      'check that PostgreSQL runs and that DATABASE_URL names the right host, port, database, user and password',
    );
  }
  try {
    await checkSchemaCompatibility(pool);
  } catch (error) {
    const sqlState = String((error as { code?: unknown }).code ?? '');
    if (!sqlState.startsWith('42')) throw error; // not a missing table or column
    throw new StepFailedError(
      `the database schema is not one this auth-service can work with: ${(error as Error).message}`,
      'run the migrations this version expects, or restore the pre-deploy dump if a migration was incompatible',
    );
  }
  const columns = await resolveEncryptedColumns(pool);
  const censuses = await censusOfSecrets(pool, keys.all, columns);
  const problems = censuses.map((c) => c.unreadable).filter((u) => u.count > 0);
  if (problems.length > 0) {
    throw new StepFailedError(
      `refusing to start: stored secrets cannot be decrypted with ENCRYPTION_KEY` +
        `${keys.old.length > 0 ? ` or the ${keys.old.length} key(s) of ENCRYPTION_KEY_OLD` : ''}\n` +
        describeUnreadable(problems),
      'give the key of the era these values were written under (ENCRYPTION_KEY, or ' +
        'ENCRYPTION_KEY_OLD after a rotation), then run reencrypt-secrets',
    );
  }
}

function listenOn(server: Server, listen: { host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new StepFailedError(
          error.code === 'EADDRINUSE'
            ? `port ${listen.port} on ${listen.host} is already in use`
            : `cannot listen on ${listen.host}:${listen.port}: ${error.message}`,
          'choose another PORT (or stop what uses it)',
        ),
      );
    });
    server.listen(listen.port, listen.host, () => resolve());
  });
}

/** Resolves with exit code 0 once SIGTERM or SIGINT closed the server and the pool. */
function stopOnSignal(server: Server, pool: Pool): Promise<number> {
  let closing = false;
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      if (closing) return;
      closing = true;
      server.close(() => {
        void pool
          .end()
          .catch(() => undefined)
          .then(() => resolve(0));
      });
      server.closeIdleConnections();
      // In-flight requests get a moment to finish; then every connection is cut.
      setTimeout(() => server.closeAllConnections(), 2_000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
