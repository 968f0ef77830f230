/**
 * A PostgreSQL target: a connection string resolved once, the way libpq resolves it (URL or keyword/value
 * string, pg_service.conf, the PG* environment, the password file), into the fields every other module uses, so
 * that the `pg` client and every child program (pg_dump, pg_restore, psql) reach the same server as the same
 * user with the same password. Its `label` (`host:port/database`) is the confirmation token of DESIGN §3. The
 * password is registered with the redaction layer as soon as it is found, and reaches a client program only
 * through `PGPASSWORD` in the child's own environment (`childEnvFor`), never on a command line.
 *
 * Defaults for what the string leaves out, chosen so that `connect()` and the client programs reach the same
 * server as each other: host `localhost` (node-postgres's default; libpq would use its compiled-in socket folder),
 * port 5432, user the operating-system user, database the user's name (libpq's rule).
 */
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { addConnectionStringSecret, addSecret } from '../core/redact.js';
import { CONNINFO_KEYWORDS, invalidConninfo, parseConninfo, quoteConninfoValue } from './conninfo.js';
import type { Conninfo, ConninfoKeyword } from './conninfo.js';
import { findService } from './pg-service.js';
import { lookupPasswordFile } from './pgpass.js';

export interface PgTarget {
  /** A host name, an IP address (IPv6 without brackets), or a unix socket folder (starts with `/`). */
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** Where the password came from: `the connection string`, `PGPASSWORD`, `the password file …`, `service "…" in …`. */
  passwordSource?: string;
  /** Why an existing password file gave none (group-readable, no matching line): for a failed login's hint. */
  passwordProblem?: string;
  /** The pg_service.conf service the target was resolved through, if any. */
  service?: string;
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

const SSL_MODES = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
type Env = Readonly<Record<string, string | undefined>>;

/** libpq's environment variable for each keyword (the fallback when neither the string nor a service gives it). */
const ENV_OF: Readonly<Record<ConninfoKeyword, string>> = {
  host: 'PGHOST',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  service: 'PGSERVICE',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  application_name: 'PGAPPNAME',
};

/** Variables that, alone, name a target when DATABASE_URL is unset (as they do for psql). */
export const LIBPQ_TARGET_VARIABLES = ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGSERVICE'] as const;

export function formatLabel(host: string, port: number, database: string): string {
  const shownHost = host.includes(':') && !host.startsWith('/') ? `[${host}]` : host;
  return `${shownHost}:${port}/${database}`;
}

function homeOf(env: Env): string {
  return env.HOME || homedir();
}

/** Each keyword's value and where it came from: the string, then the service, then the environment (libpq's order). */
function resolveKeywords(connectionString: string, env: Env): { values: Conninfo; origins: Map<string, string> } {
  const values = parseConninfo(connectionString);
  const origins = new Map<string, string>([...values.keys()].map((k) => [k, 'the connection string']));
  const service = values.get('service') || env.PGSERVICE;
  if (service) {
    const definition = findService(service, env, homeOf(env));
    for (const [keyword, value] of definition.values) {
      if (values.has(keyword)) continue;
      values.set(keyword, value);
      origins.set(keyword, `service "${service}" in ${definition.file}`);
    }
  }
  for (const keyword of CONNINFO_KEYWORDS) {
    const fromEnv = env[ENV_OF[keyword]];
    if (values.has(keyword) || fromEnv === undefined || fromEnv === '') continue;
    values.set(keyword, fromEnv);
    origins.set(keyword, ENV_OF[keyword]);
  }
  return { values, origins };
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 5432;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw invalidConninfo(`the port ${JSON.stringify(text)} is not a port number`);
  }
  return port;
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_CONNECT_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 0)
    throw invalidConninfo('connect_timeout must be a whole number of seconds');
  return seconds;
}

/** The password file's answer when no route gave a password (libpq reads it only then). */
function passwordFromFile(target: PgTarget, values: Conninfo, env: Env): void {
  const file = values.get('passfile') || join(homeOf(env), '.pgpass');
  const { host, port, database, user } = target;
  const lookup = lookupPasswordFile(file, { host, port, database, user });
  if (lookup.password !== undefined && lookup.password !== '') {
    addSecret(lookup.password);
    target.password = lookup.password;
    target.passwordSource = `the password file ${file}`;
  } else if (lookup.problem) target.passwordProblem = lookup.problem;
}

/**
 * Resolves a connection string as libpq does: a postgres:// URL or keyword/value pairs (an empty string names
 * everything through the environment), then the service (`service=` or PGSERVICE, from pg_service.conf), then
 * the PG* environment variables, then the defaults above; the password, when none of those gave one, from the
 * password file (`passfile=`, PGPASSFILE or ~/.pgpass). Every secret found is registered with the redaction layer.
 */
export function parseConnectionString(connectionString: string, env: Env = process.env): PgTarget {
  addConnectionStringSecret(connectionString);
  const { values, origins } = resolveKeywords(connectionString, env);
  if (values.get('password')) addSecret(values.get('password'));

  let host = values.get('host') ?? '';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.includes(',')) throw invalidConninfo('several hosts are not supported: name one server');
  if (host === '') host = 'localhost';
  const port = parsePort(values.get('port'));
  const user = values.get('user') || userInfo().username;
  const database = values.get('dbname') || user;
  const sslmode = values.get('sslmode');
  if (sslmode !== undefined && !SSL_MODES.has(sslmode))
    throw invalidConninfo(`unknown sslmode ${JSON.stringify(sslmode)}`);
  const connectTimeoutSeconds = parseTimeout(values.get('connect_timeout'));

  const target: PgTarget = {
    host,
    port,
    database,
    user,
    connectTimeoutSeconds,
    label: formatLabel(host, port, database),
  };
  const password = values.get('password');
  if (password !== undefined && password !== '') {
    target.password = password;
    target.passwordSource = origins.get('password');
  } else passwordFromFile(target, values, env);
  if (sslmode !== undefined) target.sslmode = sslmode;
  for (const key of ['sslrootcert', 'sslcert', 'sslkey'] as const) {
    const value = values.get(key);
    if (value !== undefined && value !== '') target[key] = value;
  }
  const applicationName = values.get('application_name');
  if (applicationName !== undefined) target.applicationName = applicationName;
  if (values.get('service')) target.service = values.get('service');
  return target;
}

/**
 * The keyword/value string that names the target the libpq environment alone gives (DATABASE_URL unset), or
 * undefined when none of LIBPQ_TARGET_VARIABLES is set. No password in it: that is found again when it is parsed.
 */
export function conninfoFromLibpqEnv(env: Env): string | undefined {
  if (!LIBPQ_TARGET_VARIABLES.some((name) => env[name])) return undefined;
  const target = parseConnectionString('', env);
  const pairs: [string, string | undefined][] = [
    ['service', target.service],
    ['host', target.host],
    ['port', String(target.port)],
    ['dbname', target.database],
    ['user', target.user],
  ];
  return pairs
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([keyword, value]) => `${keyword}=${quoteConninfoValue(value)}`)
    .join(' ');
}

/** The connection string of a target with its password (for a child that only takes a URL; prefer `childEnvFor`). */
export function targetUrl(target: PgTarget): string {
  const auth =
    target.password === undefined
      ? encodeURIComponent(target.user)
      : `${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}`;
  // A socket folder goes percent-encoded in the host part, which libpq and node-postgres both read.
  const host = target.host.startsWith('/')
    ? encodeURIComponent(target.host)
    : target.host.includes(':')
      ? `[${target.host}]`
      : target.host;
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
export function childEnvFor(
  target: PgTarget,
  from: Record<string, string | undefined> = process.env,
): Record<string, string> {
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
