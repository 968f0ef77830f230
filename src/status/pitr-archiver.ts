/**
 * What the source database says about WAL archiving, for `status`: archive_mode, pg_stat_archiver and the WAL
 * file being written. One short connection (a monitoring check must answer within its own timeout), one query.
 */
import type { PgTarget } from '../pg/target.js';

export interface ArchiverState {
  archiveMode: string;
  inRecovery: boolean;
  /** The number of the WAL segment being written now; undefined on a standby (no pg_current_wal_lsn() there). */
  currentSegment: number | undefined;
  walSegmentBytes: number;
  archivedCount: number;
  lastArchivedWal: string | undefined;
  lastArchivedAt: Date | undefined;
  failedCount: number;
  lastFailedWal: string | undefined;
  lastFailedAt: Date | undefined;
}

/** A check waits this long at most to connect, whatever connect_timeout the URL gives. */
const CONNECT_SECONDS = 5;
const QUERY_MS = 10_000;

/**
 * The current segment from the position itself, not from pg_walfile_name(pg_current_wal_lsn()): right after a
 * switch the position sits on a segment boundary, where pg_walfile_name (and pg_walfile_name_offset) name the
 * segment just completed, not the one being written, and a waiting segment would be missed.
 */
const ARCHIVER_QUERY = `
  SELECT current_setting('archive_mode') AS archive_mode,
         pg_is_in_recovery() AS in_recovery,
         CASE WHEN pg_is_in_recovery() THEN NULL
              ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text END AS current_position,
         (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size') AS wal_segment_bytes,
         a.archived_count, a.last_archived_wal, a.last_archived_time,
         a.failed_count, a.last_failed_wal, a.last_failed_time
    FROM pg_stat_archiver a`;

interface ArchiverRow {
  archive_mode: string;
  in_recovery: boolean;
  current_position: string | null;
  wal_segment_bytes: string;
  archived_count: string;
  last_archived_wal: string | null;
  last_archived_time: Date | null;
  failed_count: string;
  last_failed_wal: string | null;
  last_failed_time: Date | null;
}

function stateOf(row: ArchiverRow): ArchiverState {
  return {
    archiveMode: row.archive_mode,
    inRecovery: row.in_recovery,
    currentSegment: segmentAt(row.current_position, Number(row.wal_segment_bytes)),
    walSegmentBytes: Number(row.wal_segment_bytes),
    archivedCount: Number(row.archived_count),
    lastArchivedWal: row.last_archived_wal ?? undefined,
    lastArchivedAt: row.last_archived_time ?? undefined,
    failedCount: Number(row.failed_count),
    lastFailedWal: row.last_failed_wal ?? undefined,
    lastFailedAt: row.last_failed_time ?? undefined,
  };
}

function segmentAt(position: string | null, walSegmentBytes: number): number | undefined {
  if (position === null || !(walSegmentBytes > 0)) return undefined;
  return Math.floor(Number(position) / walSegmentBytes);
}

export async function readArchiver(target: PgTarget): Promise<ArchiverState> {
  const seconds = Math.min(target.connectTimeoutSeconds || CONNECT_SECONDS, CONNECT_SECONDS); // 0: libpq's "forever"
  const quick = { ...target, connectTimeoutSeconds: seconds };
  // Loaded here: `status` without PITR configured never needs the driver (about 40 modules at start-up).
  const { connect } = await import('../pg/client.js');
  const client = await connect(quick, AbortSignal.timeout((CONNECT_SECONDS + 1) * 1000 + QUERY_MS));
  try {
    await client.query(`SET statement_timeout = ${QUERY_MS}`);
    const result = await client.query<ArchiverRow>(ARCHIVER_QUERY);
    const row = result.rows[0];
    if (!row) throw new Error('pg_stat_archiver returned no row');
    return stateOf(row);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const SEGMENT_FILE = /^[0-9A-F]{8}([0-9A-F]{8})([0-9A-F]{8})(?:\.partial)?$/;

/** The segment number of a WAL file name (timeline, log, segment); undefined for a history or backup file. */
export function segmentNumber(walFile: string, walSegmentBytes: number): number | undefined {
  const match = SEGMENT_FILE.exec(walFile);
  if (!match || !(walSegmentBytes > 0)) return undefined;
  const segmentsPerLog = 0x1_0000_0000 / walSegmentBytes;
  return parseInt(match[1] as string, 16) * segmentsPerLog + parseInt(match[2] as string, 16);
}

/** Segments complete but not archived: the current segment's number minus the last archived one's, minus one. */
export function pendingSegments(state: ArchiverState): number | undefined {
  if (state.currentSegment === undefined || !state.lastArchivedWal) return undefined;
  const current = state.currentSegment;
  const last = segmentNumber(state.lastArchivedWal, state.walSegmentBytes);
  return last === undefined ? undefined : Math.max(0, current - last - 1);
}

/** The archive command fails: its last failure is newer than its last success. */
export function isFailing(state: ArchiverState): boolean {
  if (state.failedCount === 0 || !state.lastFailedAt) return false;
  return !state.lastArchivedAt || state.lastFailedAt > state.lastArchivedAt;
}
