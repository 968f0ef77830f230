/**
 * restore.stop-app and restore.start-app: the application stopped just before the swap (after the copy is
 * restored, checked and re-encrypted) and started right after the database-level properties are applied.
 * Stopped by this run and the swap not done when the run ends (failure, Ctrl+C, SIGTERM): it is started again,
 * so production is left as it was. Left stopped after the swap: every ending names the command that starts it.
 */
import { messageOf, StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { parseConnectionString } from '../pg/target.js';
import { runAppCommand } from './app-commands.js';
import { nameOfOid } from './copy.js';
import { connectMaintenance } from './server.js';

/** Per run: whether the application was started again after the swap (the stop's cleanup then does nothing). */
const startedAfterSwap = new Set<string>();

export interface StopAppParams {
  target: string;
  copy: string;
  copyOid: number;
}

async function swapped(params: StopAppParams): Promise<boolean | undefined> {
  const target = parseConnectionString(params.target);
  const admin = await connectMaintenance(target, AbortSignal.timeout(30_000));
  try {
    return (await nameOfOid(admin, params.copyOid)) === target.database;
  } catch {
    return undefined;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** What an operator runs to start the application by hand. */
export function startCommandText(ctx: Pick<ActionContext, 'settings'>): string {
  const command = ctx.settings.get('APP_START_COMMAND');
  return command ? `APP_START_COMMAND (${command})` : 'the command that starts it';
}

function startAgainAtEnd(params: StopAppParams, ctx: ActionContext): void {
  ctx.onCleanup(async () => {
    if (startedAfterSwap.has(ctx.runId)) return;
    const isSwapped = await swapped(params).catch(() => undefined);
    const label = parseConnectionString(params.target).label;
    if (isSwapped !== false) {
      ctx.output(
        `the application is stopped (${label} ` +
          `is ${isSwapped ? 'the restored database' : 'in an unknown state'}): start it ` +
          `with ${startCommandText(ctx)}, or finish with: obexal-runbook ${ctx.runbook} ` +
          `--resume ${ctx.runId}`,
        'warn',
      );
      return;
    }
    try {
      await runAppCommand(ctx, 'APP_START_COMMAND', AbortSignal.timeout(10 * 60_000));
      ctx.output(`the application was started again: ${label} was not replaced`, 'warn');
    } catch (error) {
      ctx.output(
        `APP_START_COMMAND failed (${messageOf(error)}): the application is stopped; ${label} was ` +
          `not replaced: start it with ${startCommandText(ctx)}`,
        'warn',
      );
    }
  }, 'start the application again unless the swap was done');
}

export async function runStopApp(params: StopAppParams, ctx: ActionContext): Promise<ActionResult> {
  if (!ctx.settings.get('APP_STOP_COMMAND')) {
    ctx.output(
      'APP_STOP_COMMAND is not set: the application keeps running; its sessions are ended at the swap',
      'info',
    );
    return { message: 'APP_STOP_COMMAND not set: nothing stopped', data: { stopped: false } };
  }
  startAgainAtEnd(params, ctx);
  await runAppCommand(ctx, 'APP_STOP_COMMAND');
  return { message: `the application is stopped (${params.copy} is ready to be swapped in)`, data: { stopped: true } };
}

/** On resume: the application stays stopped (a SIGKILL left it so); the run starts it again if it ends before the swap.
 * */
export async function stopAppStillDone(
  params: StopAppParams,
  previous: Record<string, unknown>,
  ctx: ActionContext,
): Promise<boolean> {
  if (previous.stopped === true) startAgainAtEnd(params, ctx);
  return true;
}

export interface StartAppParams {
  target: string;
  stopped: boolean;
  keptAs?: string | null | undefined;
  /** reencrypt-secrets ran on the copy: said, since an application holding only the current key needs it. */
  afterReencrypt?: boolean | undefined;
}

export async function runStartApp(params: StartAppParams, ctx: ActionContext): Promise<ActionResult> {
  const label = parseConnectionString(params.target).label;
  if (params.afterReencrypt) {
    ctx.output(
      'the application starts after reencrypt-secrets: every secret of the restored database opens ' +
        'under ENCRYPTION_KEY',
      'info',
    );
  }
  if (!params.stopped && !ctx.settings.get('APP_START_COMMAND')) {
    startedAfterSwap.add(ctx.runId);
    return { message: 'APP_START_COMMAND not set: nothing to start' };
  }
  try {
    await runAppCommand(ctx, 'APP_START_COMMAND');
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const kept = params.keptAs ? `; the previous database is kept as ${params.keptAs}` : '';
    throw new StepFailedError(
      `${label} is the restored database${kept}, but the application did not start: ${messageOf(error)}`,
      `start it with ${startCommandText(ctx)}, or fix the cause and finish with: ` +
        `obexal-runbook ${ctx.runbook} --resume ${ctx.runId}`,
      error,
    );
  }
  startedAfterSwap.add(ctx.runId);
  return { message: 'the application is started on the restored database' };
}
