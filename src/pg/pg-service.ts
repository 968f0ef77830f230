/**
 * libpq's connection service file: `[name]` sections of `keyword=value` lines, looked up first in PGSERVICEFILE
 * (default `~/.pg_service.conf`), then in `pg_service.conf` under PGSYSCONFDIR (Debian's libpq:
 * /etc/postgresql-common). A service that neither file defines is an error, as it is for psql.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { CONNINFO_KEYWORDS, type Conninfo } from './conninfo.js';

const DEFAULT_SYSCONFDIR = '/etc/postgresql-common';
const KNOWN = new Set<string>(CONNINFO_KEYWORDS);

export interface ServiceDefinition {
  file: string;
  values: Conninfo;
}

type Env = Readonly<Record<string, string | undefined>>;

export function serviceFiles(env: Env, home: string): string[] {
  const user = env.PGSERVICEFILE || join(home, '.pg_service.conf');
  return [user, join(env.PGSYSCONFDIR || DEFAULT_SYSCONFDIR, 'pg_service.conf')];
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function sectionOf(text: string, service: string, file: string): Conninfo | undefined {
  let inSection = false;
  let found: Conninfo | undefined;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      inSection = header[1] === service;
      if (inSection) found ??= new Map();
      continue;
    }
    if (!inSection || !found) continue;
    const equals = line.indexOf('=');
    const where = `${file}:${index + 1}`;
    if (equals < 1)
      throw new UsageError(`${where}: a line of service "${service}" is not keyword=value`, 'fix the line');
    const keyword = line.slice(0, equals).trim();
    if (keyword === 'service')
      throw new UsageError(`${where}: a service cannot name another service`, 'remove the line');
    if (!KNOWN.has(keyword)) {
      const usable = CONNINFO_KEYWORDS.filter((k) => k !== 'service').join(', ');
      throw new UsageError(
        `${where}: the keyword "${keyword}" of service "${service}" is not one this tool honours`,
        `use only ${usable}`,
      );
    }
    found.set(keyword, line.slice(equals + 1).trim());
  }
  return found;
}

export function findService(service: string, env: Env, home: string): ServiceDefinition {
  const files = serviceFiles(env, home);
  for (const file of files) {
    const text = readText(file);
    if (text === undefined) continue;
    const values = sectionOf(text, service, file);
    if (values) return { file, values };
  }
  throw new UsageError(
    `the PostgreSQL service "${service}" is not defined in ${files.join(' or ')}`,
    `add a [${service}] section (host=…, port=…, dbname=…, user=…) to one of those files, ` +
      'point PGSERVICEFILE at the file that has it, or correct PGSERVICE / service=',
  );
}
