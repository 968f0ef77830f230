/**
 * restore.apply: the destructive step. Refuses a target other than the one inspected and confirmed, then runs
 * swap or in-place mode. Records the window of data lost (from the dump's time to the restore).
 */
import { StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { parseConnectionString } from '../pg/target.js';
import { findPgRestore } from './archive.js';
import { formatSpan } from '../core/format.js';
import { formatTime } from './format.js';
import { inPlaceRestore } from './in-place.js';
import { chooseJobs } from './pg-restore-run.js';
import { swapRestore } from './swap.js';
import type { Inspection, VerifiedDump } from './types.js';

export interface ApplyParams {
  target: string;
  dump: VerifiedDump;
  inspection: Inspection;
  jobs: 'auto' | number;
  noOwner: boolean;
  role?: string | null | undefined;
  /** The data is under an older key era: the application starts only after reencrypt-secrets (restore.after). */
  deferAppStart: boolean;
  /** Swap mode: the copy restore.copy made, checked and re-encrypted (its step data). */
  copy?: { database: string; oid: number; pgRestoreMs?: number | undefined; jobs?: number | undefined } | undefined;
}

export function lostDataWindow(
  takenAt: string | null,
  restoredAt: string,
  inspection: Pick<Inspection, 'newestAuditEvent'>,
) {
  const from = takenAt;
  return {
    from,
    to: restoredAt,
    durationMs: from ? Math.max(0, Date.parse(restoredAt) - Date.parse(from)) : null,
    newestEventLost:
      inspection.newestAuditEvent && from && Date.parse(inspection.newestAuditEvent.at) > Date.parse(from)
        ? inspection.newestAuditEvent
        : null,
  };
}

export async function runApply(params: ApplyParams, ctx: ActionContext): Promise<ActionResult> {
  const target = parseConnectionString(params.target);
  if (target.label !== params.inspection.label) {
    throw new StepFailedError(
      `the target ${target.label} is not the one inspected and confirmed (${params.inspection.label})`,
      'run the restore again: it inspects and confirms the target it restores',
    );
  }
  const swap = params.inspection.mode === 'swap';
  const pgRestore = swap ? 'pg_restore' : await findPgRestore();
  const jobs = chooseJobs(params.jobs, params.dump.plaintextSize, !swap);
  const copy = params.copy && {
    database: params.copy.database,
    oid: params.copy.oid,
    pgRestoreMs: params.copy.pgRestoreMs ?? 0,
    jobs: params.copy.jobs ?? jobs,
  };
  const { dump, inspection, noOwner, role } = params;
  const deferAppStart = swap ? false : params.deferAppStart;
  const job = { ctx, target, dump, inspection, pgRestore, jobs, noOwner, role, deferAppStart, copy };
  const result = swap ? await swapRestore(job) : await inPlaceRestore(job);
  result.replaced = {
    newestAuditEvent: params.inspection.newestAuditEvent,
    deletedAccounts: params.inspection.deletedAccounts,
  };
  const window = lostDataWindow(params.dump.takenAt, result.restoredAt, params.inspection);
  const lost =
    window.durationMs !== null
      ? `data written between ${formatTime(window.from)} and the restore ` +
        `(${formatSpan(window.durationMs)}) is not in the restored database`
      : "the dump's time is unknown: the window of lost data cannot be given";
  ctx.output(lost, 'warn');
  return {
    message:
      `${target.label} restored from ${params.dump.name} ` +
      `(${result.mode}${result.keptAs ? `, previous database kept as ${result.keptAs}` : ''}` +
      `${result.safetyDump ? `, safety dump ${result.safetyDump}` : ''})`,
    data: {
      result,
      inPlace: !swap,
      /** In-place: reencrypt-secrets runs on the restored database now (swap mode ran it on the copy). */
      reencryptAfter: !swap && params.deferAppStart,
      record: {
        restore: {
          target: target.label,
          dump: params.dump.name,
          mode: result.mode,
          keptAs: result.keptAs,
          safetyDump: result.safetyDump,
          pgRestoreMs: result.pgRestoreMs,
          jobs: result.jobs,
          sessionsEnded: result.sessionsEnded.length,
        },
        lostDataWindow: window,
      },
    },
  };
}
