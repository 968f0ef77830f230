/**
 * APP_STOP_COMMAND / APP_START_COMMAND (and the auth-service exec template's environment): argument lists run
 * without a shell, their output live, with the base variables plus those container tooling reads.
 */
import { splitCommand } from '../core/command-template.js';
import { baseChildEnv, runProcess } from '../core/exec.js';
import { InterruptedError, StepFailedError, messageOf } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';

const TOOLING_PREFIXES = ['DOCKER_', 'COMPOSE_', 'CONTAINER_', 'KUBECONFIG', 'XDG_RUNTIME_DIR', 'SSH_AUTH_SOCK'];
export const APP_COMMAND_TIMEOUT_MS = 10 * 60_000;

export function toolingEnv(from: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env = baseChildEnv(from as Record<string, string | undefined>);
  for (const [name, value] of Object.entries(from))
    if (value !== undefined && TOOLING_PREFIXES.some((p) => name.startsWith(p))) env[name] = value;
  return env;
}

/**
 * Runs one deployment command (APP_STOP/START/DEPLOY_COMMAND, already split and expanded) with its output live and
 * a time limit; a failure or a timeout becomes a StepFailedError that names the setting.
 */
export async function runDeploymentCommand(
  ctx: ActionContext,
  command: { setting: string; argv: string[]; env: Record<string, string>; signal?: AbortSignal },
): Promise<void> {
  const signal = command.signal ?? ctx.signal;
  const [file, ...args] = command.argv;
  // A stop that fails half-way may still have stopped the application: say "stopped" until a start succeeds.
  if (command.setting === 'APP_STOP_COMMAND') ctx.noteApplication?.('stopped');
  const timeout = AbortSignal.timeout(APP_COMMAND_TIMEOUT_MS);
  try {
    await runProcess({
      file: file as string,
      args,
      env: command.env,
      signal: AbortSignal.any([signal, timeout]),
      label: command.setting,
      onLine: (line, stream) => ctx.output(line, stream),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    if (timeout.aborted && error instanceof InterruptedError) {
      throw new StepFailedError(
        `${command.setting} did not finish within ${APP_COMMAND_TIMEOUT_MS / 60_000} minutes`,
        `check ${command.setting} by hand`,
      );
    }
    throw new StepFailedError(messageOf(error), `check ${command.setting}: run it by hand to see why it failed`, error);
  }
  if (command.setting !== 'APP_STOP_COMMAND') ctx.noteApplication?.('started');
}

/** Runs the command of `setting` when it is set; false when it is not. */
export async function runAppCommand(
  ctx: ActionContext,
  setting: 'APP_STOP_COMMAND' | 'APP_START_COMMAND',
  signal: AbortSignal = ctx.signal,
): Promise<boolean> {
  const template = ctx.settings.get(setting);
  if (!template) return false;
  await runDeploymentCommand(ctx, {
    setting,
    argv: splitCommand(template, setting),
    env: toolingEnv(ctx.settings.env),
    signal,
  });
  ctx.output(`${setting} done`, 'info');
  return true;
}
