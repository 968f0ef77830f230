/**
 * What the records in RECORDS_DIR say for monitoring: the last passing drill (and its RTO), and the newest record
 * of each runbook (its outcome, exit code and duration). Signatures are not checked here (`records verify` does
 * that); a file that is not a readable record is skipped.
 */
import { listRecordsDir, loadRecordFile } from '../records/record-files.js';
import type { LastRun } from './types.js';

export interface PassingDrill {
  at: Date;
  file: string;
  rtoMs: number | undefined;
}

export interface RecordsScan {
  lastPassingDrill: PassingDrill | undefined;
  /** By runbook name. */
  lastRuns: Map<string, LastRun>;
  /** The newest backup record with outcome ok. */
  lastGoodBackup: LastRun | undefined;
  /** The newest physical-backup record with outcome ok. */
  lastGoodPhysicalBackup: LastRun | undefined;
}

const RECORD_FILE = /^\d{8}T\d{6}Z-[A-Za-z0-9._-]+\.json$/;

const numberOr = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

function rtoOf(record: Record<string, unknown>): number | undefined {
  const drill = (record.details as { drill?: { rto?: { ms?: unknown } } } | undefined)?.drill;
  return numberOr(drill?.rto?.ms);
}

function lastRunOf(file: string, record: Record<string, unknown>): LastRun | undefined {
  const { runbook, outcome, finishedAt } = record;
  if (typeof runbook !== 'string' || typeof outcome !== 'string' || typeof finishedAt !== 'string') return undefined;
  const at = new Date(finishedAt);
  if (Number.isNaN(at.getTime())) return undefined;
  const [exitCode, durationMs] = [numberOr(record.exitCode), numberOr(record.durationMs)];
  return { runbook, outcome, exitCode, finishedAt: at, durationMs, file };
}

const newer = (a: LastRun | undefined, b: LastRun): boolean => !a || b.finishedAt > a.finishedAt;

/** Reads every record once. An absent folder holds nothing; an unreadable one throws (status says UNKNOWN). */
export async function scanRecords(recordsDir: string): Promise<RecordsScan> {
  const { records } = await listRecordsDir(recordsDir);
  const scan: RecordsScan = {
    lastPassingDrill: undefined,
    lastRuns: new Map(),
    lastGoodBackup: undefined,
    lastGoodPhysicalBackup: undefined,
  };
  for (const file of records.filter((name) => RECORD_FILE.test(name))) {
    const { record } = await loadRecordFile(recordsDir, file).catch(() => ({ record: undefined }));
    const run = record ? lastRunOf(file, record) : undefined;
    if (!record || !run) continue;
    if (newer(scan.lastRuns.get(run.runbook), run)) scan.lastRuns.set(run.runbook, run);
    if (run.runbook === 'backup' && run.outcome === 'ok' && newer(scan.lastGoodBackup, run)) scan.lastGoodBackup = run;
    if (run.runbook === 'physical-backup' && run.outcome === 'ok' && newer(scan.lastGoodPhysicalBackup, run)) {
      scan.lastGoodPhysicalBackup = run;
    }
    const newerDrill = !scan.lastPassingDrill || run.finishedAt > scan.lastPassingDrill.at;
    if (run.runbook === 'drill' && run.outcome === 'ok' && newerDrill) {
      scan.lastPassingDrill = { at: run.finishedAt, file, rtoMs: rtoOf(record) };
    }
  }
  return scan;
}
