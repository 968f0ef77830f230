/**
 * The plain shell commands that restore a dump without this tool (DESIGN §4: for the day the tool itself is
 * broken). Each line runs as is in a POSIX shell, in the folder that holds the dump, with three variables
 * set: the libpq variables of the target server, AGE_IDENTITY_FILE (the backup identity from the vault) and
 * RESTORE_DB (a new, empty database name). Only `age`, `zstd` (for a `.dump.zst` layer), `sha256sum`, `createdb` and
 * `pg_restore` are needed.
 */
import type { Manifest } from './manifest.js';

function quote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

export interface RestoreByHandInput {
  dumpName: string;
  sha256: string;
  plaintextSha256: string;
  encrypted: boolean;
  encoding?: string | undefined;
  /** The source's locale: a non-UTF8 encoding (WIN1252) needs a matching one (C), an ICU database its provider. */
  collate?: string | undefined;
  ctype?: string | undefined;
  localeProvider?: string | null | undefined;
  providerLocale?: string | null | undefined;
}

function createdbOptions(input: RestoreByHandInput): string {
  const options = ['--template=template0'];
  if (input.encoding) options.push(`--encoding=${quote(input.encoding)}`);
  if (input.collate) options.push(`--lc-collate=${quote(input.collate)}`);
  if (input.ctype) options.push(`--lc-ctype=${quote(input.ctype)}`);
  if (input.localeProvider === 'i') {
    options.push('--locale-provider=icu');
    if (input.providerLocale) options.push(`--icu-locale=${quote(input.providerLocale)}`);
  }
  return options.join(' ');
}

/** The command that turns the stored file into the archive pg_restore reads, when it is not that archive. */
function unpackCommand(input: RestoreByHandInput, plainName: string): string | undefined {
  const zstd = /\.zst(\.age)?$/.test(input.dumpName);
  const decrypt = `age -d -i "$AGE_IDENTITY_FILE"`;
  if (input.encrypted && zstd) return `${decrypt} ${quote(input.dumpName)} | zstd -d -q -o ${quote(plainName)}`;
  if (input.encrypted) return `${decrypt} -o ${quote(plainName)} ${quote(input.dumpName)}`;
  if (zstd) return `zstd -d -q -o ${quote(plainName)} ${quote(input.dumpName)}`;
  return undefined;
}

export function restoreByHandCommands(input: RestoreByHandInput): string[] {
  const plainName = input.dumpName.replace(/\.age$/, '').replace(/\.zst$/, '');
  const unpack = unpackCommand(input, plainName);
  const lines = [
    '# in the folder holding the dump; set PGHOST, PGPORT, PGUSER (and PGPASSWORD) for the target server,',
    '# AGE_IDENTITY_FILE to the backup identity from the vault, RESTORE_DB to a new database name',
    'umask 077',
    `echo ${quote(`${input.sha256}  ${input.dumpName}`)} | sha256sum -c -`,
  ];
  if (unpack) {
    lines.push(unpack);
    lines.push(`echo ${quote(`${input.plaintextSha256}  ${plainName}`)} | sha256sum -c -`);
  }
  lines.push(`createdb ${createdbOptions(input)} "$RESTORE_DB"`);
  lines.push(`pg_restore --no-owner --exit-on-error --dbname "$RESTORE_DB" ${quote(plainName)}`);
  if (unpack) lines.push(`rm -f ${quote(plainName)}`);
  return lines;
}

export function restoreByHandFor(manifest: Pick<Manifest, 'dump' | 'source'>): string[] {
  return restoreByHandCommands({
    dumpName: manifest.dump.name,
    sha256: manifest.dump.sha256,
    plaintextSha256: manifest.dump.plaintextSha256,
    encrypted: manifest.dump.encryption === 'age',
    encoding: manifest.source.encoding,
    collate: manifest.source.collate,
    ctype: manifest.source.ctype,
    localeProvider: manifest.source.properties?.localeProvider,
    providerLocale: manifest.source.properties?.providerLocale,
  });
}
