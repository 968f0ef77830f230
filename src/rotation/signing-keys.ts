/**
 * rotation.signing-keys: Obexal's OIDC signing key rotation (`rotate-keys [grace_hours]`) through
 * AUTH_SERVICE_EXEC: a new active key, the previous one retired (still in the JWKS), keys retired longer than the
 * grace period purged. Tokens signed by a purged key stop verifying: the grace period must cover the longest
 * token lifetime. The child gets the database and the current key only.
 */
import { expandCommand } from '../core/command-template.js';
import { runProcess } from '../core/exec.js';
import { messageOf, StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { toolingEnv } from '../restore/app-commands.js';
import { DEFAULT_AUTH_SERVICE_EXEC } from '../restore/reencrypt.js';
import { parseConnectionString, targetUrl } from '../pg/target.js';
import { ROTATION_SECRETS } from './keys.js';

export interface SigningKeysParams {
  graceHours: string;
  target: string;
}

export function parseGraceHours(text: string): number {
  const value = text.trim();
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new UsageError(
      `grace-hours "${text}" is not a number of hours`,
      'give the grace period in hours, e.g. 24; it must cover the longest token lifetime',
    );
  return Number(value);
}

export async function runSigningKeys(params: SigningKeysParams, ctx: ActionContext): Promise<ActionResult> {
  const graceHours = parseGraceHours(params.graceHours);
  const key = ctx.secrets.get(ROTATION_SECRETS.newKey) ?? ctx.settings.get('ENCRYPTION_KEY');
  if (!key)
    throw new UsageError(
      'no ENCRYPTION_KEY is held: the new signing key must be encrypted under the current key',
      'the new-key step must come before this one',
    );
  ctx.output(
    `signing keys retired more than ${graceHours} hour(s) ago are purged: tokens they signed stop ` +
      `verifying (the grace period must cover the longest token lifetime)`,
    'warn',
  );
  const template = ctx.settings.get('AUTH_SERVICE_EXEC') || DEFAULT_AUTH_SERVICE_EXEC;
  const [file, ...args] = expandCommand(
    template,
    { subcommand: 'rotate-keys', args: [String(graceHours)] },
    'AUTH_SERVICE_EXEC',
  );
  const lines: string[] = [];
  try {
    await runProcess({
      file: file as string,
      args,
      env: {
        ...toolingEnv(ctx.settings.env),
        DATABASE_URL: targetUrl(parseConnectionString(params.target)),
        ENCRYPTION_KEY: key,
        ENCRYPTION_KEY_OLD: '',
      },
      signal: ctx.signal,
      label: `${file} rotate-keys ${graceHours}`,
      onLine: (line, stream) => {
        lines.push(line);
        ctx.output(line, stream === 'stderr' ? 'stderr' : 'info');
      },
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new StepFailedError(
      `rotate-keys failed: ${messageOf(error)}`,
      'the rotation of the signing keys is one transaction: the keys are as they were; fix the ' +
        'cause and run it again (--resume)',
      error,
    );
  }
  const newKid = lines.map((l) => /new active signing key (\S+)/.exec(l)?.[1]).find(Boolean) ?? null;
  const signingKeys = { graceHours, newKid, output: lines.slice(-3) };
  return {
    message: `OIDC signing keys rotated${newKid ? `: new active key ${newKid}` : ''} (grace ${graceHours} h)`,
    data: { ...signingKeys, record: { signingKeys } },
  };
}
