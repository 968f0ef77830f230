/**
 * rollback.deploy: APP_DEPLOY_COMMAND with `{image}` = the previous version (an argument list run without a
 * shell, its output live), then AUTH_SERVICE_URL until it answers. A failure says where the rollback stands.
 */
import { expandCommand } from '../core/command-template.js';
import { messageOf, StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { runDeploymentCommand, toolingEnv } from '../restore/app-commands.js';
import { waitUntilReady } from '../core/live-service.js';
import { IMAGE_REFERENCE } from './plan.js';

export interface DeployParams {
  image: string;
  url?: string | undefined;
  /** What the database holds at this point, for the message of a failure. */
  after: 'nothing' | 'restore';
  readyTimeoutMs: number;
}

export async function runDeploy(params: DeployParams, ctx: ActionContext): Promise<ActionResult> {
  if (!IMAGE_REFERENCE.test(params.image))
    throw new UsageError(`"${params.image}" is not an image reference`, 'e.g. ghcr.io/obexal/auth-service:1.41.2');
  const template = ctx.settings.get('APP_DEPLOY_COMMAND');
  if (!template)
    throw new UsageError(
      'APP_DEPLOY_COMMAND is not set',
      'set APP_DEPLOY_COMMAND to the command that deploys a version, with {image} for it (e.g. ' +
        '["deploy-obexal", "{image}"])',
    );
  const argv = expandCommand(template, { image: params.image }, 'APP_DEPLOY_COMMAND');
  const state =
    params.after === 'restore'
      ? 'the database holds the restored pre-deploy dump (the migrated one is kept beside it)'
      : 'the database is unchanged (no restore was needed)';
  let stage = 'APP_DEPLOY_COMMAND';
  let readyMs: number | undefined;
  try {
    ctx.output(`deploying ${params.image}`, 'info');
    await runDeploymentCommand(ctx, { setting: 'APP_DEPLOY_COMMAND', argv, env: toolingEnv(ctx.settings.env) });
    const url = params.url ?? ctx.settings.get('AUTH_SERVICE_URL');
    if (url) {
      stage = `the auth-service at ${url}`;
      readyMs = await waitUntilReady(url, params.readyTimeoutMs, ctx.signal);
      ctx.output(`${url} answers after ${(readyMs / 1000).toFixed(1)} s`, 'info');
    } else ctx.output('AUTH_SERVICE_URL is not set: the redeploy is not checked from outside', 'warn');
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const cause = `${stage} failed: ${messageOf(error)}`;
    throw new StepFailedError(
      `${cause}\n  The rollback is not finished: ${state}, and ${params.image} is not confirmed running.`,
      `fix the cause (run APP_DEPLOY_COMMAND by hand with ${params.image} to see it), then ` +
        `\`obexal-runbook rollback --resume ${ctx.runId}\` deploys it again and runs the live checks`,
      error,
    );
  }
  const deploy = { image: params.image, readyMs: readyMs ?? null };
  return {
    message: `${params.image} deployed${readyMs !== undefined ? `; ready after ${(readyMs / 1000).toFixed(1)} s` : ''}`,
    data: { ...deploy, record: { redeploy: deploy } },
  };
}
