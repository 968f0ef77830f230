/**
 * restore.reencrypt: `reencrypt-secrets` through AUTH_SERVICE_EXEC against the restored database, with
 * DATABASE_URL, ENCRYPTION_KEY and ENCRYPTION_KEY_OLD only in the child's environment and its output live, then
 * the proof that every encrypted value opens under ENCRYPTION_KEY alone. A failure says what state the database
 * is in, counted from the database (values under the current key, under the older one, under none), which keys
 * the auth-service needs meanwhile, and the command that finishes the job (a re-run is safe).
 */
import { expandCommand } from '../core/command-template.js';
import { runProcess } from '../core/exec.js';
import { messageOf, StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { heldCurrentKey, heldOldKeys } from '../keysource/encryption-keys.js';
import { parseConnectionString, targetUrl } from '../pg/target.js';
import { toolingEnv } from './app-commands.js';
import { describeReencryptState } from './reencrypt-state.js';
import type { EncryptedColumnSpec } from './types.js';
import { verifySecretsUnderCurrentKey } from './verify-secrets.js';

/** DESIGN §3's default for a real Obexal (`run`, not `exec`: it works while the service itself cannot start). */
export const DEFAULT_AUTH_SERVICE_EXEC =
  'docker compose -f compose.prod.yml -f compose.tls.yml --env-file .env.prod run --rm --no-deps -e ' +
  'DATABASE_URL -e ENCRYPTION_KEY -e ENCRYPTION_KEY_OLD auth-service /usr/local/bin/auth-service ' +
  '{subcommand} {args}';

export interface ReencryptParams {
  target: string;
  command?: string | undefined;
  columns: EncryptedColumnSpec[];
  /** Set when `target` is the swap's copy of this database (production is not touched until the swap). */
  copyOf?: string | undefined;
}

/** In place, the application starts only after reencrypt-secrets: when that stops, say it is left stopped. */
function appLeftStopped(ctx: ActionContext): string {
  const result = ctx.steps.apply?.data.result as { appStartDeferred?: { stopped: boolean } } | undefined;
  if (!result?.appStartDeferred) return '';
  const command = ctx.settings.get('APP_START_COMMAND');
  return (
    `the application is stopped (it starts after reencrypt-secrets): start it ` +
    `with ${command ? `APP_START_COMMAND (${command})` : 'the command that starts it'} once the ` +
    `secrets are re-encrypted, or now with the older key in its ENCRYPTION_KEY_OLD`
  );
}

/** The state and next step when reencrypt-secrets stopped on the swap's copy: production was not touched. */
function onCopy(ctx: ActionContext, copy: string, production: string): { state: string; next: string } {
  return {
    state: `the copy ${copy} is not fully re-encrypted; it is dropped as the run ends: ${production} was not replaced`,
    next:
      `fix the cause (the messages above), then: obexal-runbook ${ctx.runbook} --resume ${ctx.runId} ` +
      `(it restores the copy again and re-encrypts it before the swap)`,
  };
}

export async function runReencrypt(params: ReencryptParams, ctx: ActionContext): Promise<ActionResult> {
  const target = parseConnectionString(params.target);
  const current = heldCurrentKey(ctx);
  const old = heldOldKeys(ctx);
  if (!current)
    throw new UsageError(
      'no ENCRYPTION_KEY is held in this run',
      'the key-era step must come before restore.reencrypt in the runbook',
    );
  const template = params.command || ctx.settings.get('AUTH_SERVICE_EXEC') || DEFAULT_AUTH_SERVICE_EXEC;
  const [file, ...args] = expandCommand(template, { subcommand: 'reencrypt-secrets', args: [] }, 'AUTH_SERVICE_EXEC');
  const env = {
    ...toolingEnv(ctx.settings.env),
    DATABASE_URL: targetUrl(target),
    ENCRYPTION_KEY: current.text,
    ENCRYPTION_KEY_OLD: old.map((k) => k.text).join(','),
  };
  const started = Date.now();
  try {
    await runProcess({
      file: file as string,
      args,
      env,
      signal: ctx.signal,
      label: `${file} reencrypt-secrets`,
      onLine: (line, stream) => ctx.output(line, stream === 'stderr' ? 'stderr' : 'info'),
    });
  } catch (error) {
    const aborted = ctx.signal.aborted;
    const production = params.copyOf ? parseConnectionString(params.copyOf).label : undefined;
    const { state, next } = production
      ? onCopy(ctx, target.database, production)
      : await describeReencryptState(ctx, target, current, old, params.columns, { count: !aborted });
    const stopped = production ? '' : appLeftStopped(ctx);
    if (stopped) ctx.output(stopped, 'warn');
    if (aborted) {
      ctx.output(`reencrypt-secrets stopped: ${state}`, 'warn');
      ctx.output(`to finish: ${next}`, 'warn');
      throw error;
    }
    throw new StepFailedError(`reencrypt-secrets failed: ${messageOf(error)}\n  ${state}`, next, error);
  }
  const durationMs = Date.now() - started;
  const hint = params.copyOf
    ? onCopy(ctx, target.database, parseConnectionString(params.copyOf).label).next
    : (await describeReencryptState(ctx, target, current, old, params.columns, { count: false })).next;
  const census = await verifySecretsUnderCurrentKey(ctx, target, params.columns, hint);
  return {
    message:
      `reencrypt-secrets done in ${(durationMs / 1000).toFixed(1)}s; all ${census.total} encrypted ` +
      `values open under ENCRYPTION_KEY alone`,
    data: {
      durationMs,
      values: census.total,
      record: { reencrypt: { target: target.label, durationMs, values: census.total, olderKeys: old.length } },
    },
  };
}
