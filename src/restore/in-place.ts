/**
 * In-place mode (DESIGN §4), for a role that may not create or rename databases: a pre-restore safety dump of
 * the target first, then the application stopped, the sessions ended, and one `pg_restore --clean --if-exists
 * --single-transaction`: it either replaces everything the dump holds or, on any error or Ctrl+C, is rolled
 * back by the server and the database stays as it was.
 */
import { messageOf, RunbookError, StepFailedError } from '../core/errors.js';
import { runAppCommand } from './app-commands.js';
import { runPgRestore } from './pg-restore-run.js';
import { makeSafetyDump } from './pre-restore-backup.js';
import { connectMaintenance } from './server.js';
import { endSessions } from './sessions.js';
import { startOrDefer, type RestoreJob } from './swap.js';
import type { ApplyResult } from './types.js';

/** `pg_restore --clean --if-exists --single-transaction`: all of the dump, or (error, Ctrl+C) nothing. */
function restoreInOneTransaction(job: RestoreJob) {
  const { ctx, target, dump } = job;
  return runPgRestore({
    program: job.pgRestore,
    file: dump.plaintextPath,
    target,
    args: [
      '--clean',
      '--if-exists',
      '--single-transaction',
      ...(job.noOwner ? ['--no-owner'] : []),
      ...(job.role ? [`--role=${job.role}`] : []),
    ],
    jobs: 1,
    totalItems: dump.archive.entries * 2,
    rowCounts: dump.manifest?.rowCounts ?? {},
    signal: ctx.signal,
    onProgress: (u) => ctx.progress(u),
    onLine: (line) => ctx.output(line, 'stderr'),
  });
}

export async function inPlaceRestore(job: RestoreJob): Promise<ApplyResult> {
  const { ctx, target } = job;
  const info = (text: string) => ctx.output(text, 'info');
  ctx.output(`before the restore: stopping now leaves ${target.label} as it was (no safety dump yet)`, 'info', 'phase');
  ctx.progress({ done: 0, label: 'pre-restore safety dump of the target' });
  const noOwner = '--no-owner (every restored object is owned by the restoring role)';
  info(`ownership: ${job.noOwner ? noOwner : 'kept as in the dump'}`);
  const safety = await makeSafetyDump(ctx, target);
  info(`pre-restore safety dump written: ${safety.path} (reason pre-restore; restores like any dump)`);

  let appStopped = false;
  let sessionsEnded: number[];
  let pgRestoreMs: number;
  try {
    const rollback = `restoring in one transaction: stopping now rolls it back; ${target.label} stays as it was`;
    ctx.output(`${rollback}, the safety dump is kept`, 'info', 'phase');
    appStopped = await runAppCommand(ctx, 'APP_STOP_COMMAND');
    const admin = await connectMaintenance(target, ctx.signal);
    try {
      sessionsEnded = await endSessions(admin, target.database);
    } finally {
      await admin.end().catch(() => undefined);
    }
    info(`ended ${sessionsEnded.length} session(s)`);
    const run = await restoreInOneTransaction(job);
    pgRestoreMs = run.durationMs;
    info(`pg_restore (one transaction) committed in ${(run.durationMs / 1000).toFixed(1)}s`);
    const leaves = 'stopping now leaves it in place, the application perhaps stopped, and skips the checks';
    ctx.output(`after the commit: ${target.database} is the restored database; ${leaves}`, 'info', 'phase');
  } catch (error) {
    const untouched =
      `the transaction was rolled back: ${target.label} is as it was; the safety dump ${safety.name} ` + `is kept`;
    if (appStopped) {
      await runAppCommand(ctx, 'APP_START_COMMAND', new AbortController().signal).catch((e: unknown) =>
        ctx.output(`APP_START_COMMAND failed: ${messageOf(e)}`, 'warn'),
      );
    }
    if (ctx.signal.aborted) {
      ctx.output(`stopped: ${untouched}`, 'warn');
      throw error;
    }
    if (error instanceof RunbookError) throw new StepFailedError(`${error.message}\n  ${untouched}`, error.hint, error);
    throw new StepFailedError(`${messageOf(error)}: ${untouched}`, 'read the messages above', error);
  }
  const result: ApplyResult = {
    mode: 'in-place',
    database: target.database,
    keptAs: null,
    safetyDump: safety.path,
    restoredAt: new Date().toISOString(),
    sessionsEnded,
    pgRestoreMs,
    jobs: 1,
    appStartProblem: null,
  };
  await startOrDefer(job, result, appStopped, `${target.label} is restored`);
  return result;
}
