/**
 * Reading a plaintext pg_dump custom-format archive with PostgreSQL's own pg_restore: its table of contents
 * (`--list`, which reads only the header and TOC: it succeeds on a truncated archive, MEASURED.md) and a full
 * read (`-f /dev/null`, which decompresses every data block and fails on a truncated or damaged one).
 */
import { stat } from 'node:fs/promises';
import { baseChildEnv, runProcess } from '../core/exec.js';
import { messageOf, StepFailedError } from '../core/errors.js';
import { tableLabel } from '../pg/ident.js';
import { findProgram } from '../pg/programs.js';
import type { ArchiveInfo } from './types.js';

/** Descriptions made of several words, longest first, as pg_restore --list prints them. */
const MULTI_WORD_DESCS = [
  'DEFAULT ACL',
  'FK CONSTRAINT',
  'CHECK CONSTRAINT',
  'TABLE DATA',
  'SEQUENCE SET',
  'SEQUENCE OWNED BY',
  'MATERIALIZED VIEW DATA',
  'MATERIALIZED VIEW',
  'TABLE ATTACH',
  'INDEX ATTACH',
  'EVENT TRIGGER',
  'FOREIGN TABLE',
  'LARGE OBJECT',
  'BLOB DATA',
  'BLOBS',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'USER MAPPING',
  'FOREIGN DATA WRAPPER',
  'SERVER',
  'POLICY',
  'ROW SECURITY',
  'PUBLICATION TABLE',
  'PUBLICATION TABLES IN SCHEMA',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'DATABASE PROPERTIES',
  'SHELL TYPE',
  'PROCEDURAL LANGUAGE',
  'ACCESS METHOD',
].sort((a, b) => b.length - a.length);

export interface TocEntry {
  id: number;
  desc: string;
  schema: string;
  tag: string;
}

/** `pg_restore` of the newest major installed (it reads archives of every older pg_dump). */
export function findPgRestore(): Promise<string> {
  return findProgram('pg_restore');
}

/** Parses `15.18 (Debian 15.18-0+deb12u1)` → 150018; `9.6.24` → 90624. */
export function versionNum(text: string | null): number | null {
  const match = text ? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim()) : null;
  if (!match) return null;
  const major = Number(match[1]);
  return major >= 10
    ? major * 10_000 + Number(match[2])
    : major * 10_000 + Number(match[2]) * 100 + Number(match[3] ?? 0);
}

function parseEntry(line: string): TocEntry | undefined {
  // 215; 1259 16390 TABLE public tenants obexal
  const match = /^(\d+);\s+\d+\s+\d+\s+(.*)$/.exec(line);
  if (!match) return undefined;
  const rest = match[2] as string;
  const desc = MULTI_WORD_DESCS.find((d) => rest.startsWith(`${d} `)) ?? rest.split(' ')[0] ?? '';
  const after = rest.slice(desc.length + 1).split(' ');
  return { id: Number(match[1]), desc, schema: after[0] ?? '-', tag: after.slice(1, -1).join(' ') || (after[1] ?? '') };
}

export function parseArchiveList(text: string): ArchiveInfo & { toc: TocEntry[] } {
  const header = (name: string): string | null => {
    const match = new RegExp(`^;\\s+${name}:?\\s*(.*)$`, 'm').exec(text);
    return match?.[1]?.trim() || null;
  };
  const created = /^;\s+Archive created at (.+)$/m.exec(text)?.[1]?.trim() ?? null;
  const createdDate = created ? new Date(created.replace(/ UTC$/, 'Z').replace(' ', 'T')) : undefined;
  const toc = text
    .split('\n')
    .filter((l) => !l.startsWith(';'))
    .map(parseEntry)
    .filter((e): e is TocEntry => e !== undefined);
  const dumpedFrom = header('Dumped from database version');
  return {
    createdAt: createdDate && !Number.isNaN(createdDate.getTime()) ? createdDate.toISOString() : created,
    database: header('dbname'),
    dumpedFrom,
    dumpedFromNum: versionNum(dumpedFrom),
    dumpedBy: header('Dumped by pg_dump version'),
    entries: toc.length,
    tableData: toc.filter((e) => e.desc === 'TABLE DATA').map((e) => tableLabel({ schema: e.schema, name: e.tag })),
    extensions: toc.filter((e) => e.desc === 'EXTENSION').map((e) => e.tag),
    triggers: toc.filter((e) => e.desc === 'TRIGGER').map((e) => `${e.tag}`),
    sequences: toc.filter((e) => e.desc === 'SEQUENCE').length,
    largeObjects: toc.filter((e) => e.desc === 'BLOB' || e.desc === 'LARGE OBJECT').length,
    toc,
  };
}

export class ArchiveUnreadableError extends StepFailedError {}

/** The listings read in this process, by file: its identity and stamps, so a changed file is read again. */
const listings = new Map<string, { stamp: string; text: string }>();
const KEPT_LISTINGS = 4;

async function fileStamp(file: string): Promise<string | undefined> {
  const info = await stat(file, { bigint: true }).catch(() => undefined);
  return info && `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/**
 * `pg_restore --list <file>`: the archive's table of contents as text. Read once per process and file: the
 * verification and the preflight ask for the same file's listing, which is served again only while the file's
 * inode, size, mtime and ctime are unchanged.
 */
export async function archiveListText(pgRestore: string, file: string, signal: AbortSignal): Promise<string> {
  const key = `${pgRestore}\0${file}`;
  const before = await fileStamp(file);
  const known = listings.get(key);
  if (known && before !== undefined && known.stamp === before) return known.text;
  const result = await runProcess({
    file: pgRestore,
    args: ['--list', file],
    env: baseChildEnv(),
    signal,
    captureStdout: true,
    label: 'pg_restore --list',
  });
  // Kept only when the file did not change while pg_restore read it.
  if (before !== undefined && (await fileStamp(file)) === before) {
    listings.delete(key);
    listings.set(key, { stamp: before, text: result.stdout });
    for (const old of listings.keys()) if (listings.size > KEPT_LISTINGS) listings.delete(old);
  }
  return result.stdout;
}

export async function readArchiveList(
  pgRestore: string,
  file: string,
  signal: AbortSignal,
): Promise<ArchiveInfo & { toc: TocEntry[] }> {
  try {
    return parseArchiveList(await archiveListText(pgRestore, file, signal));
  } catch (error) {
    if (signal.aborted) throw error;
    const text = messageOf(error);
    const tooNew = /unsupported version .* in file header/.test(text);
    throw new ArchiveUnreadableError(
      `the dump is not a readable pg_dump custom-format archive: ${text}`,
      tooNew
        ? `the archive was made by a newer pg_dump than ${pgRestore}: install the PostgreSQL client ` +
            `programs of that version`
        : 'the file is damaged or is not a pg_dump --format=custom archive: use another dump',
      error,
    );
  }
}

/** Reads every data block of the archive (no database involved): fails on a truncated or corrupt archive. */
export async function readArchiveInFull(pgRestore: string, file: string, signal: AbortSignal): Promise<void> {
  try {
    await runProcess({
      file: pgRestore,
      args: ['--file=/dev/null', file],
      env: baseChildEnv(),
      signal,
      label: 'pg_restore --file=/dev/null',
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ArchiveUnreadableError(
      `the archive could not be read in full: ${messageOf(error)}`,
      'the dump is truncated or damaged: use another dump (the target was not touched)',
      error,
    );
  }
}
