/**
 * Swap mode (DESIGN §4 "Restore modes"): the dump is restored into `<db>__restore_<run id>` (created from
 * template0 with the replaced database's encoding, locale and owner), checked, given the replaced database's
 * own settings and grants; then the application is stopped, the sessions ended, and in one transaction the old
 * database becomes `<db>__before_<run id>` and the new one `<db>`. Any failure (or Ctrl+C) before that commit
 * drops the half-restored database and leaves the old one as it was, connections and application included.
 */
import type pg from 'pg';
import { messageOf, StepFailedError, RunbookError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { connect } from '../pg/client.js';
import type { PgTarget } from '../pg/target.js';
import { runAppCommand } from './app-commands.js';
import { compareRowCounts } from './checks.js';
import { createDatabaseSql, readDatabaseProperties, reapplyStatements, type NewDatabaseSpec } from './db-properties.js';
import { swapName } from './names.js';
import { runPgRestore } from './pg-restore-run.js';
import { connectMaintenance, onDatabase, quoteIdent } from './server.js';
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
  deferAppStart: boolean;
}

interface SwapState {
  created: boolean;
  connectionsBlocked: boolean;
  appStopped: boolean;
  swapped: boolean;
}

async function withAdmin<T>(target: PgTarget, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = await connectMaintenance(target);
  try {
    return await work(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** Undoes what was done before the swap, without the (possibly aborted) step signal. */
async function undo(job: RestoreJob, state: SwapState, restoreName: string): Promise<string[]> {
  const notes: string[] = [];
  await withAdmin(job.target, async (admin) => {
    if (state.connectionsBlocked) {
      await admin.query(`ALTER DATABASE ${quoteIdent(job.target.database)} ALLOW_CONNECTIONS true`);
      notes.push('connections to it allowed again');
    }
    if (state.created) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(restoreName)} WITH (FORCE)`);
      state.created = false;
      notes.push(`the half-restored ${restoreName} was dropped`);
    }
  }).catch((error: unknown) => notes.push(`cleanup failed: ${messageOf(error)} (drop ${restoreName} by hand if it exists)`));
  if (state.appStopped) {
    await runAppCommand(job.ctx, 'APP_START_COMMAND', new AbortController().signal)
      .then(() => notes.push('the application was started again'))
      .catch((error: unknown) => notes.push(`APP_START_COMMAND failed: ${messageOf(error)}`));
  }
  return notes;
}

export async function swapRestore(job: RestoreJob): Promise<ApplyResult> {
  const { ctx, target, dump, inspection } = job;
  const restoreName = swapName(target.database, 'restore', ctx.runId);
  const beforeName = swapName(target.database, 'before', ctx.runId);
  const state: SwapState = { created: false, connectionsBlocked: false, appStopped: false, swapped: false };
  ctx.onCleanup(async () => {
    if (state.created && !state.swapped) await withAdmin(target, (a) => a.query(`DROP DATABASE IF EXISTS ${quoteIdent(restoreName)} WITH (FORCE)`));
  }, `drop the half-restored database ${restoreName}`);
  const info = (text: string) => ctx.output(text, 'info');
  let sessionsEnded: number[] = [];
  let pgRestoreMs = 0;
  ctx.output(`before the swap: stopping now drops the half-restored copy; ${target.label} is not replaced`, 'info', 'phase');
  const admin = await connectMaintenance(target, ctx.signal);
  try {
    const props = await readDatabaseProperties(admin, target.database);
    if (inspection.exists !== (props !== undefined)) {
      throw new StepFailedError(`${target.label} ${props ? 'exists now' : 'no longer exists'}, unlike at the inspection`, 'run the restore again: it inspects and confirms again');
    }
    const source = dump.manifest?.source;
    if (props && source?.encoding && (props.encoding !== source.encoding || props.collate !== source.collate)) {
      ctx.output(`the dump's source was ${source.encoding}/${source.collate ?? '?'}; ${target.database} is ${props.encoding}/${props.collate}: the restored database takes ${target.database}'s`, 'warn');
    }
    const spec: NewDatabaseSpec = props ?? { encoding: source?.encoding };
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(restoreName)} WITH (FORCE)`); // left by a killed attempt of this run
    await admin.query(createDatabaseSql(restoreName, spec));
    state.created = true;
    info(`created ${restoreName} (template0, ${spec.encoding ?? 'server default encoding'}${props ? `, ${props.collate}, owner ${props.owner}` : ''})`);

    const into = onDatabase(target, restoreName);
    const run = await runPgRestore({
      program: job.pgRestore,
      file: dump.plaintextPath,
      target: into,
      args: job.noOwner ? ['--no-owner'] : [],
      jobs: job.jobs,
      totalItems: dump.archive.entries,
      rowCounts: dump.manifest?.rowCounts ?? {},
      signal: ctx.signal,
      onProgress: (u) => ctx.progress(u),
      onLine: (line) => ctx.output(line, 'stderr'),
    });
    pgRestoreMs = run.durationMs;
    info(`pg_restore finished in ${(run.durationMs / 1000).toFixed(1)}s (${job.jobs} job${job.jobs > 1 ? 's' : ''})`);

    if (dump.manifest) {
      const counts = await connect(into, ctx.signal).then(async (c) => {
        try {
          return await compareRowCounts(c, dump.manifest?.rowCounts ?? {}, 'exact');
        } finally {
          await c.end().catch(() => undefined);
        }
      });
      if (!counts.ok) throw new StepFailedError(`the restored copy does not hold what the manifest counted: ${counts.detail}`, 'the dump or the restore is faulty: restore another dump');
      info(`checked before the swap: ${counts.detail}`);
    }
    if (props) for (const statement of reapplyStatements(restoreName, props)) await admin.query(statement);
    if (props && (props.settings.length || props.roleSettings.length || props.grants || props.comment !== null || props.connLimit !== -1)) {
      info(`database settings and grants of ${target.database} applied to the restored copy`);
    }

    state.appStopped = await runAppCommand(ctx, 'APP_STOP_COMMAND');
    if (props) {
      await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} ALLOW_CONNECTIONS false`);
      state.connectionsBlocked = true;
      sessionsEnded = await endSessions(admin, target.database);
      const listed = new Set(inspection.sessions.map((s) => s.pid));
      const unlisted = sessionsEnded.filter((pid) => !listed.has(pid));
      info(`ended ${sessionsEnded.length} session(s)${unlisted.length ? ` (${unlisted.length} connected after the confirmation: pids ${unlisted.join(', ')})` : ''}`);
    }
    await admin.query('BEGIN');
    if (props) await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} RENAME TO ${quoteIdent(beforeName)}`);
    await admin.query(`ALTER DATABASE ${quoteIdent(restoreName)} RENAME TO ${quoteIdent(target.database)}`);
    await admin.query('COMMIT');
    state.swapped = true;
    state.created = false;
  } catch (error) {
    if (process.env.OBEXAL_DEBUG) ctx.output(String((error as Error).stack), 'warn');
    await admin.query('ROLLBACK').catch(() => undefined);
    await admin.end().catch(() => undefined);
    const notes = await undo(job, state, restoreName);
    const untouched = `${target.label} was not replaced${notes.length ? ` (${notes.join('; ')})` : ''}`;
    if (ctx.signal.aborted) {
      ctx.output(`stopped before the swap: ${untouched}`, 'warn');
      throw error;
    }
    if (error instanceof RunbookError) throw new StepFailedError(`${error.message}\n  ${untouched}`, error.hint, error);
    throw new StepFailedError(`${messageOf(error)}: ${untouched}`, 'read the messages above; the old database is as it was', error);
  }

  const restoredAt = new Date().toISOString();
  info(inspection.exists ? `swapped: ${target.database} is the restored database; the previous one is kept as ${beforeName}` : `${target.database} created from the dump`);
  const kept = inspection.exists ? ` (the previous one is kept as ${beforeName})` : '';
  const leaves = 'stopping now leaves it in place, the application perhaps stopped, and skips the checks';
  ctx.output(`after the swap: ${target.database} is the restored database${kept}; ${leaves}`, 'info', 'phase');
  try {
    if (state.connectionsBlocked) await admin.query(`ALTER DATABASE ${quoteIdent(beforeName)} ALLOW_CONNECTIONS true`);
  } catch (error) {
    ctx.output(`could not allow connections to ${beforeName} again (${messageOf(error)}); it can still be dropped`, 'warn');
  } finally {
    await admin.end().catch(() => undefined);
  }
  const result: ApplyResult = {
    mode: 'swap',
    database: target.database,
    keptAs: inspection.exists ? beforeName : null,
    safetyDump: null,
    restoredAt,
    sessionsEnded,
    pgRestoreMs,
    jobs: job.jobs,
    appStartProblem: null,
  };
  await startOrDefer(job, result, state.appStopped, `the restored database is in place as ${target.label}`);
  return result;
}

/**
 * Starts the application now, or, when the restored data is under an older key era, leaves that to restore.after:
 * an application holding only the current key refuses to start on secrets it cannot decrypt until
 * reencrypt-secrets has run.
 */
export async function startOrDefer(job: RestoreJob, result: ApplyResult, stopped: boolean, state: string): Promise<void> {
  if (job.deferAppStart && (stopped || job.ctx.settings.get('APP_START_COMMAND'))) {
    result.appStartDeferred = { stopped };
    job.ctx.output(`${state}; the application starts after reencrypt-secrets (the restored secrets are under an older key era)`);
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
