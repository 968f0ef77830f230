/**
 * Connecting to a target with node-postgres. Connection failures become `PgConnectionError`s with a hint; an
 * abort signal cancels the running query (a CancelRequest on a second connection, as libpq's PQcancel does: it
 * needs no authentication and bypasses pg_hba) and then ends the client, so that Ctrl+C never leaves a
 * statement running on the server. The cancelled query rejects with SQLSTATE 57014 (`isQueryCanceled`).
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { InterruptedError } from '../core/errors.js';
import { connectionErrorFrom } from './connection-errors.js';
import type { PgTarget } from './target.js';

const APPLICATION_NAME = 'obexal-runbook';
/** How long an aborted client waits for the server to confirm the cancel before it drops the connection. */
const CANCEL_GRACE_MS = 3_000;
const CANCEL_REQUEST_CODE = 80877102;

/** node-postgres's TLS settings for libpq's sslmode (allow/prefer fall back to no TLS, which node-postgres cannot try).
 * */
export function sslFor(target: PgTarget): false | ConnectionOptions {
  const mode = target.sslmode;
  if (mode === undefined || mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  // libpq never uses TLS on a unix socket, whatever sslmode says (PGSSLMODE=require must not break a local socket).
  if (target.host.startsWith('/')) return false;
  const tls: ConnectionOptions = { rejectUnauthorized: mode !== 'require' };
  if (target.sslrootcert) tls.ca = readFileSync(target.sslrootcert, 'utf8');
  if (target.sslcert) tls.cert = readFileSync(target.sslcert, 'utf8');
  if (target.sslkey) tls.key = readFileSync(target.sslkey, 'utf8');
  if (mode === 'verify-ca') tls.checkServerIdentity = () => undefined;
  return tls;
}

export function clientConfigFor(target: PgTarget): pg.ClientConfig {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    // undefined lets node-postgres consult ~/.pgpass, as libpq does
    password: target.password,
    ssl: sslFor(target),
    application_name: target.applicationName ?? APPLICATION_NAME,
    connectionTimeoutMillis: target.connectTimeoutSeconds * 1000,
  };
}

/** Sends a CancelRequest for the backend `pid` (the protocol's own cancel: 16 bytes, then the server closes). */
export function sendCancelRequest(target: PgTarget, pid: number, secretKey: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(CANCEL_GRACE_MS, done);
    socket.once('error', done);
    socket.once('close', done);
    socket.once('connect', () => {
      const message = Buffer.alloc(16);
      message.writeInt32BE(16, 0);
      message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      message.writeInt32BE(pid, 8);
      message.writeInt32BE(secretKey, 12);
      socket.end(message);
    });
    if (target.host.startsWith('/')) socket.connect(`${target.host}/.s.PGSQL.${target.port}`);
    else socket.connect(target.port, target.host);
  });
}

/** node-postgres keeps these on the client without typing them. */
interface ClientInternals {
  processID: number | null;
  secretKey: number | null;
  readyForQuery: boolean;
}

/** True for the error of a statement that was cancelled (our abort, pg_cancel_backend, statement_timeout). */
export function isQueryCanceled(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}

async function cancelAndEnd(client: pg.Client, target: PgTarget): Promise<void> {
  const internals = client as unknown as ClientInternals;
  if (internals.readyForQuery === false && internals.processID !== null && internals.secretKey !== null) {
    // Let the running query fail with the server's cancel error before the connection goes away.
    const settled = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CANCEL_GRACE_MS);
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('drain', finish);
      client.once('end', finish);
      client.once('error', finish);
    });
    await sendCancelRequest(target, internals.processID, internals.secretKey);
    await settled;
  }
  await client.end().catch(() => undefined);
}

/**
 * A connected client for `target`. Aborting `signal` cancels its running query and ends it; a signal already
 * aborted rejects at once. Connection failures throw `PgConnectionError` (never with the password in them).
 */
export async function connect(target: PgTarget, signal?: AbortSignal): Promise<pg.Client> {
  if (signal?.aborted) throw new InterruptedError('SIGINT', `connecting to ${target.label}: stopped`);
  const client = new pg.Client(clientConfigFor(target));
  // A connection lost while idle must not crash the process: the next query reports it.
  client.on('error', () => undefined);
  let ending: Promise<void> | undefined;
  let connected = false;
  // node-postgres never settles connect() when end() is called before the connection is up: the wait stops on the
  // abort itself, or a run stopped while connecting would wait on nothing (Node then exits 13, not 130/143).
  let stopWaiting: (error: Error) => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => (stopWaiting = reject));
  const onAbort = () => {
    // While connecting there is no query to cancel: dropping the connection is enough.
    ending ??= connected ? cancelAndEnd(client, target) : client.end().catch(() => undefined);
    if (!connected) stopWaiting(new Error('aborted while connecting'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  client.once('end', () => signal?.removeEventListener('abort', onAbort));
  try {
    const connecting = client.connect();
    connecting.catch(() => undefined); // when the abort wins the race below, a late failure is of no interest
    await Promise.race([connecting, stopped]);
    connected = true;
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    // Aborted: the end started by onAbort finishes by itself (awaiting it could last until the connect timeout).
    if (signal?.aborted) throw new InterruptedError('SIGINT', `connecting to ${target.label}: stopped`);
    await client.end().catch(() => undefined);
    throw connectionErrorFrom(error, target);
  }
  return client;
}

/** Runs `work` with a client that is always ended afterwards. */
export async function withClient<T>(
  target: PgTarget,
  work: (client: pg.Client) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const client = await connect(target, signal);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
