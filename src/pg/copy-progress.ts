/**
 * The progress of the COPY commands that pg_dump (`COPY … TO stdout`) and pg_restore (`COPY … FROM stdin`) run,
 * read from `pg_stat_progress_copy` (PostgreSQL 14 and later) on a connection of its own, about once a second.
 * Progress is advisory: a server without the view, a lost connection or a refused query only stop the watch, and
 * the caller keeps its coarser progress. The child is told apart by an application_name of its own (PGAPPNAME).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { connect } from './client.js';
import type { PgTarget } from './target.js';

export interface CopySample {
  pid: number;
  /** `schema.table` as pg_dump names it, or undefined for a COPY of a query. */
  table: string | undefined;
  /** The table's schema and name, apart (undefined for a COPY of a query). */
  relation?: { schema: string; name: string };
  bytes: number;
  tuples: number;
  /** The planner's row estimate for the table (pg_class.reltuples): -1 or 0 when never analysed. */
  reltuples: number;
}

export interface CopyWatch {
  stop(): Promise<void>;
}

/**
 * pg_class names the table only on the copy's own database: a restore watches from a maintenance database, where
 * the same oid is another table or none (the COPY's text names it then).
 */
const COPY_PROGRESS = `
  SELECT p.pid, n.nspname AS schema, c.relname AS name, p.bytes_processed::text AS bytes,
         p.tuples_processed::text AS tuples, coalesce(c.reltuples, -1)::float8 AS reltuples,
         left(a.query, 300) AS query
    FROM pg_stat_progress_copy p
    JOIN pg_stat_activity a ON a.pid = p.pid
    LEFT JOIN pg_class c ON c.oid = p.relid AND p.datname = current_database()
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE a.application_name = $1 AND p.datname = $2`;

interface CopyRow {
  pid: number;
  schema: string | null;
  name: string | null;
  bytes: string;
  tuples: string;
  reltuples: number;
  query: string | null;
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[^\s."(]+)`;
const COPY_TABLE = new RegExp(String.raw`^\s*COPY\s+(${IDENT})\.(${IDENT})[\s(]`, 'i');

function unquote(part: string): string {
  return part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part;
}

/**
 * The table of `COPY schema.table (…) FROM stdin` as pg_dump writes it (always schema-qualified). From another
 * database, or before the table's transaction commits (pg_restore --single-transaction), pg_class cannot name it.
 */
export function copiedTable(query: string | null): { schema: string; name: string } | undefined {
  const match = query ? COPY_TABLE.exec(query) : null;
  return match ? { schema: unquote(match[1] as string), name: unquote(match[2] as string) } : undefined;
}

function relationOf(row: CopyRow): { schema: string; name: string } | undefined {
  return row.schema !== null && row.name !== null ? { schema: row.schema, name: row.name } : copiedTable(row.query);
}

/** The target with an application_name that tells this run's child apart (the operator's own name is kept). */
export function withCopyApplicationName(target: PgTarget, program: 'pg_dump' | 'pg_restore'): PgTarget {
  if (target.applicationName) return target;
  return { ...target, applicationName: `obexal-runbook ${program} ${randomBytes(4).toString('hex')}` };
}

export async function readCopyProgress(client: pg.ClientBase, target: PgTarget): Promise<CopySample[]> {
  const { rows } = await client.query<CopyRow>(COPY_PROGRESS, [target.applicationName ?? '', target.database]);
  return rows.map((r) => {
    const relation = relationOf(r);
    return {
      pid: r.pid,
      table: relation ? `${relation.schema}.${relation.name}` : undefined,
      ...(relation ? { relation } : {}),
      bytes: Number(r.bytes),
      tuples: Number(r.tuples),
      reltuples: Number(r.reltuples),
    };
  });
}

export interface WatchOptions {
  /**
   * The watch's own connection (default: the target database). A restore watches from a maintenance database:
   * a session left on the restored database would hold up its rename.
   */
  connectTo?: (signal: AbortSignal) => Promise<pg.Client>;
  intervalMs?: number;
}

/**
 * Reads the COPY progress of `target`'s child (named by its applicationName) every second until stopped or
 * `signal` aborts, handing each reading to `onSamples`.
 */
export function watchCopyProgress(
  target: PgTarget,
  signal: AbortSignal,
  onSamples: (samples: CopySample[]) => void,
  options: WatchOptions = {},
): CopyWatch {
  const stopper = new AbortController();
  const stopSignal = AbortSignal.any([signal, stopper.signal]);
  const connectTo = options.connectTo ?? ((s: AbortSignal) => connect(ownConnection(target), s));
  const intervalMs = options.intervalMs ?? 1_000;
  const running = pollUntilStopped(target, connectTo, stopSignal, onSamples, intervalMs).catch(() => {
    // Advisory: whatever stopped the watch (no view before PostgreSQL 14, a lost connection, a refused query)
    // leaves the step's own progress in place and must never fail the step.
  });
  return {
    async stop() {
      stopper.abort();
      await running;
    },
  };
}

/** The target under a name of the watch's own (never the child's: its own queries are no COPY of the child). */
export function ownConnection(target: PgTarget): PgTarget {
  return { ...target, applicationName: 'obexal-runbook progress' };
}

async function pollUntilStopped(
  target: PgTarget,
  connectTo: (signal: AbortSignal) => Promise<pg.Client>,
  signal: AbortSignal,
  onSamples: (samples: CopySample[]) => void,
  intervalMs: number,
): Promise<void> {
  const client = await connectTo(signal);
  try {
    await client.query(`SET statement_timeout = '5s'`);
    while (!signal.aborted) {
      await sleep(intervalMs, signal);
      if (signal.aborted) break;
      onSamples(await readCopyProgress(client, target));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
