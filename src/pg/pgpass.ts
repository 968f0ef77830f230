/**
 * libpq's password file (`~/.pgpass`, or PGPASSFILE / `passfile=`): `host:port:database:user:password` lines,
 * `*` matching anything, `\:` and `\\` escaped, the first matching line winning. As libpq does, a file that
 * group or others may read is ignored (and we say so, since a silent ignore is what makes a login fail
 * mysteriously). node-postgres does not read this file for the client programs, so the tool reads it once here.
 */
import { readFileSync, statSync } from 'node:fs';

export interface PasswordFileLookup {
  password?: string;
  /** Why the file gave nothing when it exists but was not used (shown in a failed login's hint). */
  problem?: string;
}

/** Splits a line at unescaped colons, removing the escapes. */
function fieldsOf(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      current += line[i + 1];
      i += 1;
    } else if (c === ':' && fields.length < 4) {
      fields.push(current);
      current = '';
    } else current += c;
  }
  fields.push(current);
  return fields;
}

export interface PasswordFileKey {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** libpq matches a unix socket in its default folder as `localhost`; other socket folders match as written. */
function hostsToMatch(host: string): string[] {
  return host.startsWith('/') ? [host, 'localhost'] : [host];
}

export function lookupPasswordFile(file: string, key: PasswordFileKey): PasswordFileLookup {
  let text: string;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return { problem: `the password file ${file} is not a plain file, so it was ignored` };
    if ((stats.mode & 0o077) !== 0) {
      const problem = `the password file ${file} was ignored because group or others may read it: chmod 600 ${file}`;
      return { problem };
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    return { problem: `the password file ${file} cannot be read (${code ?? 'error'})` };
  }
  const wanted = [hostsToMatch(key.host), [String(key.port)], [key.database], [key.user]];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const fields = fieldsOf(raw);
    if (fields.length < 5) continue;
    const matches = wanted.every((options, i) => fields[i] === '*' || options.includes(fields[i]!));
    if (matches) return { password: fields[4] };
  }
  const wantedLine = `${key.host}:${key.port}:${key.database}:${key.user}`;
  return { problem: `no line of the password file ${file} matches ${wantedLine}` };
}
