/**
 * The drill line and the "last run" lines of `status`, from the records. The newest record of `backup` and of
 * `drill` is shown; one whose outcome is not ok is a WARNING even while an older success keeps the age fresh
 * (last night's backup failed, the one before is still within BACKUP_MAX_AGE).
 */
import { formatAge } from '../core/format.js';
import { messageOf } from '../core/errors.js';
import { ageItem, uncheckedAge, type AgeLimit } from './ages.js';
import type { RecordsScan } from './records-scan.js';
import type { AgeFigure, LastRun, StatusItem } from './types.js';

export function drillItem(
  scan: RecordsScan | Error,
  recordsDir: string,
  limit: AgeLimit,
  now: Date,
): { item: StatusItem; figure: AgeFigure } {
  if (scan instanceof Error) return uncheckedAge('drill', 'drill', limit, messageOf(scan));
  const drill = scan.lastPassingDrill;
  const found = drill ? { at: drill.at, what: drill.file } : undefined;
  const missing = `no passing drill record in ${recordsDir}`;
  return ageItem({ key: 'drill', label: 'drill', limit, now, found, missing });
}

const WATCHED = ['backup', 'drill', 'physical-backup'] as const;

function lastRunItem(run: LastRun, now: Date): StatusItem {
  const ok = run.outcome === 'ok';
  const exit = run.exitCode === undefined ? '' : ` (exit ${run.exitCode})`;
  const text = `${run.outcome}${ok ? '' : exit}, ${formatAge(now.getTime() - run.finishedAt.getTime())} ago`;
  const [key, label] = [`last_${run.runbook}_run`, `last ${run.runbook} run`];
  return { key, label, state: ok ? 'OK' : 'WARNING', text, word: ok ? 'ok' : 'WARNING', detail: run.file };
}

export function lastRunItems(scan: RecordsScan | Error, now: Date): StatusItem[] {
  if (scan instanceof Error) return [];
  return WATCHED.flatMap((runbook) => {
    const run = scan.lastRuns.get(runbook);
    return run ? [lastRunItem(run, now)] : [];
  });
}
