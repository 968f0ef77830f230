/**
 * What `status` finds, before it is formatted: items (one line each), the figures behind them, and the state in
 * the monitoring-plugins convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
 */

export type PluginState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export const PLUGIN_EXIT: Record<PluginState, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** A definite problem outranks an unknown (monitoring-plugins' `max_state_alt`): CRITICAL > WARNING > UNKNOWN > OK. */
const RANK: Record<PluginState, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export function worstState(states: Iterable<PluginState>): PluginState {
  let worst: PluginState = 'OK';
  for (const state of states) if (RANK[state] > RANK[worst]) worst = state;
  return worst;
}

export interface StatusItem {
  /** Machine name (`backup_local`), stable for JSON readers. */
  key: string;
  /** What the line starts with (`backup local`). */
  label: string;
  /** INFO never changes the state (a hold, a bucket that is not configured). */
  state: PluginState | 'INFO';
  text: string;
  /** The word at the end of the line (`ok`, `TOO OLD`, `MISSING`, `ERROR`, `WARNING`). */
  word?: string;
  /** What the age is of (the dump, the record file). */
  detail?: string;
}

/** An age against its limits, in seconds (undefined: none found, or it could not be checked). */
export interface AgeFigure {
  seconds: number | undefined;
  warnSeconds: number;
  critSeconds: number;
  /** When the thing was (epoch seconds); 0 when there is none; undefined when it could not be checked. */
  at: number | undefined;
}

export interface LastRun {
  runbook: string;
  outcome: string;
  exitCode: number | undefined;
  finishedAt: Date;
  durationMs: number | undefined;
  file: string;
}

/** WAL archiving of the source database (DATABASE_URL), for point-in-time recovery (docs/monitoring.md). */
export interface WalArchiveFigures {
  /** Undefined when the database could not be asked. */
  archiveMode: string | undefined;
  /** Seconds since the last archived segment while segments wait; 0 when none waits. */
  lagSeconds: number | undefined;
  /** Complete segments not archived yet. */
  pendingSegments: number | undefined;
  /** PITR_MAX_ARCHIVE_LAG in seconds (critical past twice it). */
  maxLagSeconds: number;
  lastArchivedWal: string | undefined;
  /** Epoch seconds. */
  lastArchivedAt: number | undefined;
  /** The archive command's last failure is newer than its last success. */
  failing: boolean | undefined;
  /** Failures counted since the statistics were last reset. */
  failedCount: number | undefined;
  lastFailedWal: string | undefined;
  /** Epoch seconds. */
  lastFailedAt: number | undefined;
}

export interface StatusFigures {
  backupLocal: AgeFigure;
  /** Undefined when no bucket is configured. */
  backupBucket: AgeFigure | undefined;
  drill: AgeFigure;
  /** Of the newest verified backup (local, else bucket). */
  dumpSizeBytes: number | undefined;
  /** pg_dump start to the encrypted file complete, from that backup's manifest. */
  dumpDurationSeconds: number | undefined;
  /** The whole backup run (dump, upload, verification, retention), from the last successful backup's record. */
  backupDurationSeconds: number | undefined;
  rtoSeconds: number | undefined;
  rtoTargetSeconds: number | undefined;
  /** The newest record of each runbook that has one. */
  lastRuns: LastRun[];
  /** Undefined when it could not be checked. */
  keyEraRegister: boolean | undefined;
  /** Undefined when DATABASE_URL is unset. */
  walArchive: WalArchiveFigures | undefined;
  /** The last successful physical-backup run; undefined when none was recorded and PITR is not configured. */
  physicalBackup: AgeFigure | undefined;
}

export interface StatusReport {
  state: PluginState;
  checkedAt: Date;
  items: StatusItem[];
  figures: StatusFigures;
}
