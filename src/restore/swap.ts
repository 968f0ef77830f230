/**
 * restore.apply in swap mode (DESIGN §4 "Restore modes"): the copy restored, checked and re-encrypted by the steps
 * before is swapped in. The sessions on the database are ended, then in one transaction the old database becomes
 * `<db>__before_<run id>` and the copy `<db>` (no other state is committed on the way, so a killed run leaves
 * nothing half-done). A failure or Ctrl+C before the commit leaves the old database as
 * it was (the run's cleanups then drop the copy and start the application again); a resumed run whose earlier
 * process died after the commit finds the copy already in place (by its OID) and does not swap twice.
 */
import type pg from 'pg';
import { messageOf, StepFailedError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import type { PgTarget } from '../pg/target.js';
import { runAppCommand } from './app-commands.js';
import { markSwappedIn, nameOfOid } from './copy.js';
import { failBeforeSwap } from './before-swap.js';
import { swapName } from './names.js';
import { quoteIdent } from '../pg/ident.js';
import { connectMaintenance } from './server.js';
import { endSessions } from './sessions.js';
import type { ApplyResult, Inspection, VerifiedDump } from './types.js';

export interface RestoreJob {
  ctx: ActionContext;
  target: PgTarget;
  dump: VerifiedDump;
  inspection: Inspection;
  pgRestore: string;
  jobs: number;
  noOwner: boolean;
  role?: string | null | undefined;
  deferAppStart: boolean;
  /** Swap mode: the copy made by restore.copy. */
  copy?: { database: string; oid: number; pgRestoreMs: number; jobs: number } | undefined;
}

function result(job: RestoreJob, keptAs: string | null, sessionsEnded: number[]): ApplyResult {
  return {
    mode: 'swap',
    database: job.target.database,
    keptAs,
    safetyDump: null,
    restoredAt: new Date().toISOString(),
    sessionsEnded,
    pgRestoreMs: job.copy?.pgRestoreMs ?? 0,
    jobs: job.copy?.jobs ?? job.jobs,
    appStartProblem: null,
  };
}

async function exists(admin: pg.ClientBase, name: string): Promise<boolean> {
  return ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
}

export async function swapRestore(job: RestoreJob): Promise<ApplyResult> {
  const { ctx, target, inspection, copy } = job;
  if (!copy)
    throw new StepFailedError(
      'swap mode needs the copy made by restore.copy',
      'the runbook must run restore.copy (and its checks) before restore.apply',
    );
  const beforeName = swapName(target.database, 'before', ctx.runId);
  const info = (text: string) => ctx.output(text, 'info');
  const before = 'before the swap: stopping now drops the copy and starts a stopped application again';
  ctx.output(`${before}; ${target.label} is not replaced`, 'info', 'phase');
  const admin = await connectMaintenance(target, ctx.signal);
  let sessionsEnded: number[] = [];
  try {
    await guardSession(admin);
    const now = await nameOfOid(admin, copy.oid);
    if (now === target.database) {
      markSwappedIn(ctx.runId, copy.oid);
      const kept = (await exists(admin, beforeName)) ? beforeName : null;
      info(
        `the swap was already done by the earlier run: ${target.database} is the restored ` +
          `database${kept ? `; the previous one is kept as ${kept}` : ''}`,
      );
      return result(job, kept, []);
    }
    if (now !== copy.database) {
      throw new StepFailedError(
        `the copy ${copy.database} no longer exists${now ? ` (it is now called ${now})` : ''}: ` +
          `there is nothing to swap in`,
        'the old database is as it was: run the restore again from the start (without --resume)',
      );
    }
    const targetExists = await exists(admin, target.database);
    if (inspection.exists !== targetExists) {
      throw new StepFailedError(
        `${target.label} ${targetExists ? 'exists now' : 'no longer exists'}, unlike at the inspection`,
        'run the restore again: it inspects and confirms again',
      );
    }
    sessionsEnded = await renameIn(admin, job, beforeName, targetExists);
  } catch (error) {
    if (process.env.OBEXAL_DEBUG) ctx.output(String((error as Error).stack), 'warn');
    await admin.query('ROLLBACK').catch(() => undefined);
    await admin.end().catch(() => undefined);
    const note = `the copy ${copy.database} is dropped and a stopped application started again as the run ends`;
    const untouched = `${target.label} was not replaced (${note})`;
    failBeforeSwap(ctx, error, untouched);
  }
  await admin.end().catch(() => undefined);
  info(
    inspection.exists
      ? `swapped: ${target.database} is the restored database; the previous one is kept as ${beforeName}`
      : `${target.database} created from the dump`,
  );
  const kept = inspection.exists ? ` (the previous one is kept as ${beforeName})` : '';
  const leaves = 'stopping now leaves it in place, the application perhaps stopped, and skips the checks';
  ctx.output(`after the swap: ${target.database} is the restored database${kept}; ${leaves}`, 'info', 'phase');
  return result(job, inspection.exists ? beforeName : null, sessionsEnded);
}

const RENAME_ATTEMPTS = 5;

/**
 * Ends the sessions on the database, then renames in one transaction: nothing is committed before both renames
 * are (a killed run leaves no half-done state: its server session can only roll back). A client that connected
 * again in between makes the rename fail ("being accessed by other users"): its session is ended and the
 * transaction tried again.
 */
async function renameIn(
  admin: pg.ClientBase,
  job: RestoreJob,
  beforeName: string,
  targetExists: boolean,
): Promise<number[]> {
  const { ctx, target, inspection, copy } = job;
  const ended: number[] = [];
  for (let attempt = 1; ; attempt++) {
    if (targetExists) {
      const now = await endSessions(admin, target.database);
      ended.push(...now);
      const listed = new Set(inspection.sessions.map((s) => s.pid));
      const unlisted = now.filter((pid) => !listed.has(pid));
      const late = unlisted.length
        ? ` (${unlisted.length} connected after the confirmation: pids ${unlisted.join(', ')})`
        : '';
      ctx.output(`ended ${now.length} session(s)${late}`, 'info');
    }
    try {
      await admin.query('BEGIN');
      if (targetExists)
        await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} RENAME TO ${quoteIdent(beforeName)}`);
      await admin.query(`ALTER DATABASE ${quoteIdent(copy!.database)} RENAME TO ${quoteIdent(target.database)}`);
      await admin.query('COMMIT');
      markSwappedIn(ctx.runId, copy!.oid);
      return ended;
    } catch (error) {
      await admin.query('ROLLBACK').catch(() => undefined);
      if ((error as { code?: string }).code !== '55006' || attempt >= RENAME_ATTEMPTS || ctx.signal.aborted)
        throw error;
      ctx.output(
        `${target.database} was in use again (${messageOf(error)}): ending its sessions and trying ` +
          `again (${attempt} of ${RENAME_ATTEMPTS})`,
        'warn',
      );
    }
  }
}

/**
 * A statement of a killed run must not complete after it: the server cancels it as soon as it sees the client
 * gone (PostgreSQL 14+), and a lock held by someone else fails the swap after a minute instead of hanging.
 */
async function guardSession(admin: pg.ClientBase): Promise<void> {
  await admin.query(`SET client_connection_check_interval = '1s'`).catch(() => undefined);
  await admin.query(`SET lock_timeout = '60s'`);
}

/**
 * Starts the application now, or, when the restored data is under an older key era, leaves that to restore.after:
 * an application holding only the current key refuses to start on secrets it cannot decrypt until
 * reencrypt-secrets has run.
 */
export async function startOrDefer(
  job: RestoreJob,
  result: ApplyResult,
  stopped: boolean,
  state: string,
): Promise<void> {
  if (job.deferAppStart && (stopped || job.ctx.settings.get('APP_START_COMMAND'))) {
    result.appStartDeferred = { stopped };
    job.ctx.output(
      `${state}; the application starts after reencrypt-secrets (the restored secrets are under an older key era)`,
    );
    return;
  }
  result.appStartProblem = await startAppAfter(job.ctx, stopped, state);
}

/**
 * Starts the application after the database changed. A failure is reported, not thrown: the restore itself is
 * done (a resumed run must not restore again); the live checks of the next steps then fail and say so.
 */
export async function startAppAfter(ctx: ActionContext, stopped: boolean, state: string): Promise<string | null> {
  if (!stopped && !ctx.settings.get('APP_START_COMMAND')) return null;
  try {
    await runAppCommand(ctx, 'APP_START_COMMAND');
    return null;
  } catch (error) {
    const problem = `APP_START_COMMAND failed: ${messageOf(error)}`;
    ctx.output(`${state}, but the application did not start (${problem}): start it by hand`, 'warn');
    return problem;
  }
}
