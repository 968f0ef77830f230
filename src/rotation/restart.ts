/**
 * rotation.restart: APP_STOP_COMMAND then APP_START_COMMAND, with ENCRYPTION_KEY (the new key) and
 * ENCRYPTION_KEY_OLD (the old key, or empty once it is withdrawn) in the start command's environment (a compose
 * file interpolating them picks them up; the deployment's own environment is updated by the operator, a
 * checklist item), then AUTH_SERVICE_URL until it answers. Any failure stops the run with where the rotation
 * stands, how to continue (--resume) and how to go back.
 */
import { splitCommand } from '../core/command-template.js';
import { messageOf, StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { runDeploymentCommand, toolingEnv } from '../restore/app-commands.js';
import { heldRotationKeys } from './keys.js';
import { waitUntilReady } from '../core/live-service.js';

export interface RestartParams {
  keys: 'both' | 'new-only';
  newEra: string;
  oldEra: string;
  url?: string | undefined;
  readyTimeoutMs: number;
}

type AppSetting = 'APP_STOP_COMMAND' | 'APP_START_COMMAND';

async function runApp(ctx: ActionContext, setting: AppSetting, env: Record<string, string>): Promise<void> {
  const template = ctx.settings.get(setting);
  if (!template)
    throw new UsageError(
      `${setting} is not set`,
      `set ${setting} to the command that ${setting === 'APP_STOP_COMMAND' ? 'stops' : 'starts'} the auth-service`,
    );
  await runDeploymentCommand(ctx, { setting, argv: splitCommand(template, setting), env });
  ctx.output(`${setting} done`, 'info');
}

function halfDone(params: RestartParams, ctx: ActionContext, cause: string): StepFailedError {
  const resume = `obexal-runbook key-rotation --resume ${ctx.runId}`;
  const { newEra, oldEra } = params;
  if (params.keys === 'both') {
    return new StepFailedError(
      `${cause}\n  The key rotation is HALF DONE: era "${newEra}" is open beside era "${oldEra}" in ` +
        `the key-era register, every secret is still under the key of "${oldEra}" (nothing was ` +
        `re-encrypted), and the auth-service may be stopped.`,
      `to continue: fix the cause (run the command by hand to see it fail), then \`${resume}\`. ` +
        (`To go back instead: start the auth-service with ENCRYPTION_KEY = the key of "${oldEra}" ` +
          `and no ENCRYPTION_KEY_OLD, and remove era "${newEra}" from key-eras.json (in BACKUP_DIR and ` +
          `in the bucket)`),
    );
  }
  return new StepFailedError(
    `${cause}\n  The key rotation is HALF DONE: every secret was re-encrypted under the key of era ` +
      `"${newEra}" (checked), but the auth-service did not come back with that key alone; era ` +
      `"${oldEra}" is still open.`,
    `to serve users meanwhile, start the auth-service with ENCRYPTION_KEY = the key of "${newEra}" ` +
      `and ENCRYPTION_KEY_OLD = the key of "${oldEra}" (both keys read everything). ` +
      (`To continue: fix the cause, then \`${resume}\`. Going back from here means re-encrypting ` +
        `under the old key (reencrypt-secrets with the two keys swapped): continuing is shorter`),
  );
}

export async function runRestart(params: RestartParams, ctx: ActionContext): Promise<ActionResult> {
  const { next, old } = heldRotationKeys(ctx);
  const base = toolingEnv(ctx.settings.env);
  const startEnv = { ...base, ENCRYPTION_KEY: next, ENCRYPTION_KEY_OLD: params.keys === 'both' ? old : '' };
  const url = params.url ?? ctx.settings.get('AUTH_SERVICE_URL');
  const keys =
    params.keys === 'both'
      ? `ENCRYPTION_KEY of "${params.newEra}" and ENCRYPTION_KEY_OLD of "${params.oldEra}"`
      : `ENCRYPTION_KEY of "${params.newEra}" alone (ENCRYPTION_KEY_OLD withdrawn)`;
  let stage = 'APP_STOP_COMMAND';
  let readyMs: number | undefined;
  try {
    await runApp(ctx, 'APP_STOP_COMMAND', base);
    stage = 'APP_START_COMMAND';
    ctx.output(`starting the auth-service with ${keys}`, 'info');
    await runApp(ctx, 'APP_START_COMMAND', startEnv);
    if (url) {
      stage = `the auth-service at ${url}`;
      readyMs = await waitUntilReady(url, params.readyTimeoutMs, ctx.signal);
      ctx.output(`${url} answers after ${(readyMs / 1000).toFixed(1)} s`, 'info');
    } else {
      ctx.output('AUTH_SERVICE_URL is not set: the restart is not checked from outside', 'warn');
    }
  } catch (error) {
    if (ctx.signal.aborted) {
      ctx.output(halfDone(params, ctx, `interrupted during ${stage}`).message, 'warn');
      throw error;
    }
    throw halfDone(params, ctx, `${stage} failed: ${messageOf(error)}`);
  }
  const restart = { keys: params.keys, newEra: params.newEra, oldEra: params.oldEra, readyMs: readyMs ?? null };
  return {
    message:
      `auth-service restarted with ` +
      `the ${keys}${readyMs !== undefined ? `; ready after ${(readyMs / 1000).toFixed(1)} s` : ''}`,
    data: {
      ...restart,
      record: { [params.keys === 'both' ? 'restartWithBothKeys' : 'restartWithNewKeyOnly']: restart },
    },
  };
}
