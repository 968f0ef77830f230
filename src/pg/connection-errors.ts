/**
 * Turns what node-postgres throws while connecting into a `PgConnectionError`: which case it is, the target's
 * label, the server's or the system's reason (redacted), and a hint of what to check. The password never
 * appears: messages name the target by its label, and any server text passes through `redact`.
 */
import { redact } from '../core/redact.js';
import { PgConnectionError, type PgConnectionProblem } from './errors.js';
import type { PgTarget } from './target.js';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
]);
const AUTH_SQLSTATES = new Set(['28P01', '28000']);
const NOT_READY_SQLSTATES = new Set(['57P03', '57P01', '57P02']);

function reasonOf(error: unknown): { code: string | undefined; text: string } {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const text = typeof e?.message === 'string' ? e.message : String(error);
  return { code, text: redact(text) };
}

function classify(code: string | undefined, text: string): PgConnectionProblem {
  if (code !== undefined && AUTH_SQLSTATES.has(code)) return 'auth';
  if (code === '3D000') return 'no-database';
  if (code !== undefined && NOT_READY_SQLSTATES.has(code)) return 'not-ready';
  if (code === '53300') return 'too-many-connections';
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return 'unreachable';
  if (/SASL|SCRAM|password/i.test(text)) return 'auth'; // e.g. no password given to a server that asks for one
  if (/SSL|TLS|certificate/i.test(text)) return 'ssl';
  if (/timeout|terminated unexpectedly|Connection terminated/i.test(text)) return 'unreachable';
  return 'other';
}

/** What to fix after a refused login: the route the password came through, or the routes there are. */
export function authHint(target: PgTarget): string {
  const role = `role "${target.user}"`;
  if (target.password === undefined) {
    const problem = target.passwordProblem ? ` (${target.passwordProblem})` : '';
    return (
      `the server asks for a password and none was found${problem}: give it through PGPASSWORD, a line ` +
      (`${target.host}:${target.port}:${target.database}:${target.user}:<password> in ~/.pgpass or ` +
        `PGPASSFILE (mode 0600), `) +
      `a pg_service.conf service, or DATABASE_URL; if the ${role} has no password yet, set one ` +
      `(ALTER ROLE ... PASSWORD) or let pg_hba.conf admit it another way`
    );
  }
  const where =
    target.passwordSource === undefined || target.passwordSource === 'the connection string'
      ? 'check the user and password in DATABASE_URL; the password is not shown'
      : `check the password of ${role} in ${target.passwordSource}; the password is not shown`;
  return (
    `${where}; if the role has no password, set one (ALTER ROLE ... PASSWORD), ` +
    'and a pg_hba.conf line must admit this host and user'
  );
}

function hintFor(problem: PgConnectionProblem, target: PgTarget, code: string | undefined): string {
  switch (problem) {
    case 'unreachable':
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        return `the host name ${target.host} does not resolve: check the host in DATABASE_URL`;
      return target.host.startsWith('/')
        ? `is the server running? no socket answered in ${target.host} on port ${target.port}: check ` +
            `host and port in DATABASE_URL`
        : 'is the server running? check host and port in DATABASE_URL (and that a firewall lets this host reach it)';
    case 'auth':
      return authHint(target);
    case 'no-database':
      return `check the database name in DATABASE_URL; \`psql -l\` on the server lists the databases that exist`;
    case 'not-ready':
      return 'the server is starting up, shutting down or recovering: wait and try again';
    case 'too-many-connections':
      return 'the server has no free connection slot: wait, or end idle sessions';
    case 'ssl':
      return 'check sslmode (and sslrootcert) in DATABASE_URL against what the server offers';
    case 'other':
      return 'check DATABASE_URL; the server or the system gave the reason above';
  }
}

function summary(problem: PgConnectionProblem, target: PgTarget): string {
  switch (problem) {
    case 'unreachable':
      return `cannot reach PostgreSQL at ${target.label}`;
    case 'auth':
      return `PostgreSQL refused the login of user "${target.user}" at ${target.label}`;
    case 'no-database':
      return `database "${target.database}" does not exist at ${target.label}`;
    default:
      return `cannot connect to PostgreSQL at ${target.label}`;
  }
}

export function connectionErrorFrom(error: unknown, target: PgTarget): PgConnectionError {
  if (error instanceof PgConnectionError) return error;
  const { code, text } = reasonOf(error);
  const problem = classify(code, text);
  const detail = code !== undefined && !text.includes(code) ? `${text} (${code})` : text;
  return new PgConnectionError(
    problem,
    `${summary(problem, target)}: ${detail}`,
    hintFor(problem, target, code),
    code,
    error,
  );
}
