/**
 * Record files on disk: names, the scan of RECORDS_DIR, reading one record, and the order records come in.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailedError, UsageError } from '../core/errors.js';
import type { RecordLink, TimingRecord } from './types.js';

export const SIGNATURE_SUFFIX = '.sig';
export const PARTIAL_SUFFIX = '.partial';
export const RECORDS_LOCK_NAME = '.records.lock';
const RECORD_NAME = /^(\d{8}T\d{6}Z)-.+\.json$/;
const NAME_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** `20261124T183501Z` */
export function compactTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export function checkNamePart(what: 'runbook' | 'runId', value: unknown): string {
  if (typeof value !== 'string' || !NAME_PART.test(value)) {
    throw new UsageError(
      `a record's ${what} must be a short name of letters, digits, dot, dash and underscore, ` +
        `got ${JSON.stringify(value)}`,
      'this is a bug in whatever built the record: report it with the run id',
    );
  }
  return value;
}

/** `<UTC timestamp>-<runbook>-<run id>.json` */
export function recordFileName(recordedAt: string | Date, runbook: string, runId: string): string {
  const date = typeof recordedAt === 'string' ? new Date(recordedAt) : recordedAt;
  return `${compactTimestamp(date)}-${runbook}-${runId}.json`;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface RecordsDirListing {
  /** `*.json` files (complete records, signed or not). */
  records: string[];
  /** `*.json.sig` files. */
  signatures: Set<string>;
  /** `*.partial` files: writes that never finished. */
  partials: string[];
}

/** What RECORDS_DIR holds; an absent folder holds nothing. Dot files (the lock) are not records. */
export async function listRecordsDir(recordsDir: string): Promise<RecordsDirListing> {
  let names: string[];
  try {
    names = await readdir(recordsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], signatures: new Set(), partials: [] };
    throw new StepFailedError(
      `cannot read the records folder ${recordsDir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'check RECORDS_DIR and that this user may read it',
      error,
    );
  }
  const visible = names.filter((name) => !name.startsWith('.')).sort();
  return {
    records: visible.filter((name) => name.endsWith('.json')),
    signatures: new Set(visible.filter((name) => name.endsWith(`.json${SIGNATURE_SUFFIX}`))),
    partials: visible.filter((name) => name.endsWith(PARTIAL_SUFFIX)),
  };
}

export interface LoadedRecord {
  file: string;
  path: string;
  bytes: Buffer;
  sha256: string;
  /** The parsed record; undefined when the file is not a JSON object. */
  record: TimingRecord | undefined;
}

export async function loadRecordFile(recordsDir: string, file: string): Promise<LoadedRecord> {
  const path = join(recordsDir, file);
  const bytes = await readFile(path);
  let record: TimingRecord | undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) record = value as TimingRecord;
  } catch {
    record = undefined;
  }
  return { file, path, bytes, sha256: sha256Hex(bytes), record };
}

/** The `previous` link of a record, if it has a well-formed one. */
export function previousLink(record: TimingRecord | undefined): RecordLink | undefined {
  const previous = record?.previous as Partial<RecordLink> | null | undefined;
  if (!previous || typeof previous.file !== 'string' || typeof previous.sha256 !== 'string') return undefined;
  return { file: previous.file, sha256: previous.sha256 };
}

interface Orderable {
  file: string;
  sha256: string;
  record: TimingRecord | undefined;
}

const timestampOf = (file: string): string => RECORD_NAME.exec(file)?.[1] ?? '~';

/**
 * Within one second of file names, the chain itself gives the order, when the chain there is intact (one entry,
 * each next one linked by name and hash). When it is not, name order: a damaged chain must not decide the order.
 */
function orderWithinSecond<T extends Orderable>(group: T[]): T[] {
  if (group.length < 2) return group;
  const members = new Map(group.map((item) => [item.file, item]));
  const starts = group.filter((item) => !members.has(previousLink(item.record)?.file ?? ''));
  if (starts.length !== 1) return group;
  const ordered: T[] = [starts[0] as T];
  while (ordered.length < group.length) {
    const last = ordered[ordered.length - 1] as T;
    const next = group.filter((item) => {
      const link = previousLink(item.record);
      return link?.file === last.file && link.sha256 === last.sha256;
    });
    if (next.length !== 1) return group;
    ordered.push(next[0] as T);
  }
  return ordered;
}

/** Oldest first: by the second in the file name, then as `orderWithinSecond` says. */
export function chainOrder<T extends Orderable>(items: readonly T[]): T[] {
  const byName = [...items].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const seconds = new Map<string, T[]>();
  for (const item of byName) {
    const key = timestampOf(item.file);
    seconds.set(key, [...(seconds.get(key) ?? []), item]);
  }
  return [...seconds.keys()].sort().flatMap((key) => orderWithinSecond(seconds.get(key) ?? []));
}
