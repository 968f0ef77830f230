/**
 * A PostgreSQL target: a connection string parsed once into the fields every other module uses. Its `label`
 * (`host:port/database`) is the confirmation token of DESIGN §3. The password is registered with the redaction
 * layer as soon as the string is parsed, and reaches a client program only through `PGPASSWORD` in the child's
 * own environment (`childEnvFor`), never on a command line.
 *
 * Defaults for what the string leaves out, chosen so that `connect()` and the client programs reach the same
 * server as each other: host `localhost` (node-postgres's default; libpq would use its compiled-in socket folder),
 * port 5432, user the operating-system user, database the user's name (libpq's rule).
 */
import { userInfo } from 'node:os';
import { UsageError } from '../core/errors.js';
import { addConnectionStringSecret, addSecret } from '../core/redact.js';

export interface PgTarget {
  /** A host name, an IP address (IPv6 without brackets), or a unix socket folder (starts with `/`). */
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** libpq's sslmode when the string gave one (disable, allow, prefer, require, verify-ca, verify-full). */
  sslmode?: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  applicationName?: string;
  /** Seconds to wait for a connection (libpq's connect_timeout); 10 when the string gives none. */
  connectTimeoutSeconds: number;
  /** `host:port/database`: what an operator types to confirm a destruction of this target. */
  label: string;
}

const SCHEMES = new Set(['postgres:', 'postgresql:']);
/** libpq allows `postgres://user@/db?host=/socket` (credentials, no host); WHATWG URL does not. */
const EMPTY_HOST_AFTER_CREDENTIALS = /^(postgres(?:ql)?:\/\/[^/?#]*@)(?=[/?#]|$)/i;
const NO_HOST = 'no-host.invalid';
const SSL_MODES = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
/** Query parameters with a meaning here; others (e.g. Prisma's `schema`) are ignored, as they are not libpq's. */
const KNOWN_PARAMS = new Set([
  'host',
  'port',
  'user',
  'password',
  'dbname',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'connect_timeout',
  'application_name',
]);

function invalid(problem: string): UsageError {
  // Never echo the string itself: it may hold a password.
  return new UsageError(
    `invalid PostgreSQL connection string: ${problem}`,
    'use postgres://user:password@host:port/database (percent-encode special characters in the password, e.g. @ as %40)',
  );
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(`the ${what} is not valid percent-encoding`);
  }
}

export function formatLabel(host: string, port: number, database: string): string {
  const shownHost = host.includes(':') && !host.startsWith('/') ? `[${host}]` : host;
  return `${shownHost}:${port}/${database}`;
}

/** Parses `postgres://` / `postgresql://` URLs, including `?host=/socket/folder` and URL-encoded parts. */
export function parseConnectionString(connectionString: string): PgTarget {
  addConnectionStringSecret(connectionString);
  let url: URL;
  try {
    url = new URL(connectionString.trim().replace(EMPTY_HOST_AFTER_CREDENTIALS, `$1${NO_HOST}`));
  } catch {
    throw invalid('not a URL');
  }
  if (!SCHEMES.has(url.protocol)) throw invalid(`the scheme must be postgres:// or postgresql:// (got ${url.protocol}//)`);

  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) if (KNOWN_PARAMS.has(key)) params.set(key, value);
  const queryPassword = params.get('password');
  if (queryPassword) addSecret(queryPassword);

  let host = params.get('host') ?? (url.hostname === NO_HOST ? '' : decode(url.hostname, 'host'));
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.includes(',')) throw invalid('several hosts are not supported: name one server');
  if (host === '') host = 'localhost';

  const portText = params.get('port') ?? url.port;
  const port = portText === '' ? 5432 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`the port ${JSON.stringify(portText)} is not a port number`);

  const user = params.get('user') ?? (url.username ? decode(url.username, 'user') : userInfo().username);
  const password = queryPassword ?? (url.password ? decode(url.password, 'password') : undefined);
  const path = url.pathname.replace(/^\//, '');
  if (path.includes('/')) throw invalid('the database name contains a "/"');
  const database = params.get('dbname') ?? (path ? decode(path, 'database name') : user);

  const sslmode = params.get('sslmode');
  if (sslmode !== undefined && !SSL_MODES.has(sslmode)) throw invalid(`unknown sslmode ${JSON.stringify(sslmode)}`);
  const timeoutText = params.get('connect_timeout');
  const connectTimeoutSeconds = timeoutText === undefined ? DEFAULT_CONNECT_TIMEOUT_SECONDS : Number(timeoutText);
  if (!Number.isInteger(connectTimeoutSeconds) || connectTimeoutSeconds < 0) throw invalid('connect_timeout must be a whole number of seconds');

  const target: PgTarget = { host, port, database, user, connectTimeoutSeconds, label: formatLabel(host, port, database) };
  if (password !== undefined && password !== '') target.password = password;
  if (sslmode !== undefined) target.sslmode = sslmode;
  for (const key of ['sslrootcert', 'sslcert', 'sslkey'] as const) {
    const value = params.get(key);
    if (value !== undefined) target[key] = value;
  }
  const applicationName = params.get('application_name');
  if (applicationName !== undefined) target.applicationName = applicationName;
  return target;
}

/** The connection string of a target with its password (for a child that only takes a URL; prefer `childEnvFor`). */
export function targetUrl(target: PgTarget): string {
  const auth = target.password === undefined ? encodeURIComponent(target.user) : `${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}`;
  // A socket folder goes percent-encoded in the host part, which libpq and node-postgres both read.
  const host = target.host.startsWith('/') ? encodeURIComponent(target.host) : target.host.includes(':') ? `[${target.host}]` : target.host;
  const query = new URLSearchParams();
  if (target.sslmode) query.set('sslmode', target.sslmode);
  for (const key of ['sslrootcert', 'sslcert', 'sslkey'] as const) if (target[key]) query.set(key, target[key]);
  const search = query.size > 0 ? `?${query.toString()}` : '';
  return `postgres://${auth}@${host}:${target.port}/${encodeURIComponent(target.database)}${search}`;
}

/** The target as a URL safe for messages: the password, if any, replaced by `[redacted]`. */
export function redactedUrl(target: PgTarget): string {
  const withoutPassword = targetUrl({ ...target, password: undefined });
  if (target.password === undefined) return withoutPassword;
  return withoutPassword.replace('@', ':[redacted]@');
}

/**
 * The complete environment for a PostgreSQL client program (pg_dump, pg_restore, psql) aimed at `target`:
 * the libpq variables, and just enough else to find programs and read text. Nothing is inherited from our own
 * environment except PATH and HOME (for ~/.pgpass when the string has no password).
 */
export function childEnvFor(target: PgTarget, from: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: target.user,
    PGDATABASE: target.database,
    PGCONNECT_TIMEOUT: String(target.connectTimeoutSeconds),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
  };
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  if (target.sslmode !== undefined) env.PGSSLMODE = target.sslmode;
  if (target.sslrootcert !== undefined) env.PGSSLROOTCERT = target.sslrootcert;
  if (target.sslcert !== undefined) env.PGSSLCERT = target.sslcert;
  if (target.sslkey !== undefined) env.PGSSLKEY = target.sslkey;
  if (target.applicationName !== undefined) env.PGAPPNAME = target.applicationName;
  if (from.PATH !== undefined) env.PATH = from.PATH;
  if (from.HOME !== undefined) env.HOME = from.HOME;
  return env;
}
