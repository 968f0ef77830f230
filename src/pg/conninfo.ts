/**
 * The two spellings of a libpq connection string, read into keyword → value pairs: the URL
 * (`postgres://user:password@host:port/db?sslmode=require`) and the keyword/value string
 * (`host=db.example port=5432 dbname=obexal user=backup`). Nothing here fills in defaults: that is
 * target.ts's job, so that both spellings resolve the same way.
 */
import { UsageError } from '../core/errors.js';

export type Conninfo = Map<string, string>;

/** The libpq keywords this tool honours (for the `pg` client and every child program alike). */
export const CONNINFO_KEYWORDS = [
  'host',
  'port',
  'dbname',
  'user',
  'password',
  'passfile',
  'service',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'connect_timeout',
  'application_name',
] as const;
export type ConninfoKeyword = (typeof CONNINFO_KEYWORDS)[number];
const KNOWN = new Set<string>(CONNINFO_KEYWORDS);

const SCHEME = /^postgres(?:ql)?:\/\//i;
/** libpq allows `postgres://user@/db?host=/socket` (credentials, no host); WHATWG URL does not. */
const EMPTY_HOST_AFTER_CREDENTIALS = /^(postgres(?:ql)?:\/\/[^/?#]*@)(?=[/?#]|$)/i;
const NO_HOST = 'no-host.invalid';

export function invalidConninfo(problem: string): UsageError {
  // Never echo the string itself: it may hold a password.
  return new UsageError(
    `invalid PostgreSQL connection string: ${problem}`,
    'use postgres://user@host:port/database or host=… port=… dbname=… user=… (a password belongs in PGPASSWORD, ' +
      '~/.pgpass or PGPASSFILE; in a URL percent-encode special characters, e.g. @ as %40)',
  );
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidConninfo(`the ${what} is not valid percent-encoding`);
  }
}

export function isUrlConninfo(text: string): boolean {
  return SCHEME.test(text.trim());
}

/** Reads a URL; query parameters that are not libpq's (e.g. Prisma's `schema`) are ignored. */
export function parseUrlConninfo(text: string): Conninfo {
  let url: URL;
  try {
    url = new URL(text.trim().replace(EMPTY_HOST_AFTER_CREDENTIALS, `$1${NO_HOST}`));
  } catch {
    throw invalidConninfo('not a URL');
  }
  const info: Conninfo = new Map();
  const host = url.hostname === NO_HOST ? '' : decode(url.hostname, 'host');
  if (host !== '') info.set('host', host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if (url.port !== '') info.set('port', url.port);
  if (url.username !== '') info.set('user', decode(url.username, 'user'));
  if (url.password !== '') info.set('password', decode(url.password, 'password'));
  const path = url.pathname.replace(/^\//, '');
  if (path.includes('/')) throw invalidConninfo('the database name contains a "/"');
  if (path !== '') info.set('dbname', decode(path, 'database name'));
  for (const [key, value] of url.searchParams) if (KNOWN.has(key)) info.set(key, value);
  return info;
}

/** One value of a keyword/value string: single-quoted (with \' and \\) or up to the next space. */
function readValue(text: string, start: number): { value: string; end: number } {
  let i = start;
  let value = '';
  if (text[i] === "'") {
    i += 1;
    for (;;) {
      if (i >= text.length) throw invalidConninfo('a quoted value has no closing quote');
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length) {
        value += text[i + 1];
        i += 2;
      } else if (c === "'") return { value, end: i + 1 };
      else {
        value += c;
        i += 1;
      }
    }
  }
  while (i < text.length && !/\s/.test(text[i]!)) {
    if (text[i] === '\\' && i + 1 < text.length) i += 1;
    value += text[i];
    i += 1;
  }
  return { value, end: i };
}

/** Reads `keyword = value …` as libpq does; a keyword this tool does not honour is an error, not ignored. */
export function parseKeywordConninfo(text: string): Conninfo {
  const info: Conninfo = new Map();
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
    if (i >= text.length) return info;
    const match = /^([A-Za-z_]+)\s*=\s*/.exec(text.slice(i));
    if (!match) throw invalidConninfo('expected keyword=value pairs (e.g. host=db.example dbname=obexal)');
    const keyword = match[1]!;
    if (!KNOWN.has(keyword)) {
      throw invalidConninfo(`the keyword "${keyword}" is not one this tool honours (${CONNINFO_KEYWORDS.join(', ')})`);
    }
    const { value, end } = readValue(text, i + match[0].length);
    info.set(keyword, value);
    i = end;
  }
}

export function parseConninfo(text: string): Conninfo {
  if (isUrlConninfo(text)) return parseUrlConninfo(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim())) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(text.trim())?.[0] ?? '';
    throw invalidConninfo(`the scheme must be postgres:// or postgresql:// (got ${scheme}//)`);
  }
  if (text.trim() !== '' && !text.includes('=')) {
    throw invalidConninfo('neither a postgres:// URL nor keyword=value pairs');
  }
  return parseKeywordConninfo(text);
}

/** A value as a keyword/value string writes it (quoted when it has a space, a quote or a backslash, or is empty). */
export function quoteConninfoValue(value: string): string {
  if (value !== '' && !/[\s'\\]/.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
