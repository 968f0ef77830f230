/**
 * The drill account: tenant and e-mail from the settings (or asked), password and TOTP seed from the key
 * source (the environment, else a masked prompt; headless with neither: exit 3 naming the setting). The two
 * secrets go to the run's secret store only; they are never printed, journaled or recorded.
 */
import { Secret } from 'otpauth';
import { AnswerRequiredError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { DRILL_SECRETS } from './session.js';

export interface DrillAccount {
  tenant: string;
  email: string;
  /** Where each came from (for the record): a setting name or `prompt`. */
  sources: Record<string, string>;
}

type Ctx = Pick<ActionContext, 'settings' | 'interactor' | 'secrets' | 'signal'>;

function validTotpSeed(value: string): string | undefined {
  try {
    const bytes = Secret.fromBase32(value.replace(/\s+/g, '').toUpperCase()).bytes;
    return bytes.length >= 10 ? undefined : 'a TOTP seed is at least 16 base32 characters';
  } catch {
    return 'not a base32 TOTP seed (letters A-Z and digits 2-7)';
  }
}

async function text(ctx: Ctx, setting: string, message: string, sources: Record<string, string>): Promise<string> {
  const value = ctx.settings.get(setting);
  if (value) {
    sources[setting] = ctx.settings.source(setting);
    return value;
  }
  try {
    const answer = (await ctx.interactor.text({ kind: 'text', name: setting, message }, ctx.signal)).trim();
    sources[setting] = 'prompt';
    return answer;
  } catch (error) {
    if (!(error instanceof AnswerRequiredError)) throw error;
    throw new AnswerRequiredError(
      setting,
      `${setting} is not set: the drill signs in as the drill account; nothing was changed`,
      `set ${setting} (the drill account's ${message.toLowerCase()})`,
    );
  }
}

async function secret(
  ctx: Ctx,
  setting: string,
  message: string,
  sources: Record<string, string>,
  validate?: (v: string) => string | undefined,
): Promise<void> {
  const held = ctx.secrets.get(setting);
  if (held) return;
  let value = ctx.settings.get(setting);
  if (value) {
    const problem = validate?.(value);
    if (problem)
      throw new AnswerRequiredError(
        setting,
        `${setting} is invalid: ${problem}; nothing was changed`,
        `set ${setting} to the drill account's ${message}`,
      );
    sources[setting] = ctx.settings.source(setting);
  } else {
    try {
      value = await ctx.interactor.secret(
        {
          kind: 'secret',
          name: setting,
          message: `the drill account's ${message} (never shown or stored)`,
          ...(validate ? { validate } : {}),
        },
        ctx.signal,
      );
    } catch (error) {
      if (!(error instanceof AnswerRequiredError)) throw error;
      throw new AnswerRequiredError(
        setting,
        `${setting} is not set: the drill needs the drill account's ${message}; nothing was changed`,
        `set ${setting} in the environment of this command (from the vault; it is never written anywhere)`,
      );
    }
    sources[setting] = 'prompt';
  }
  ctx.secrets.set(setting, value);
}

/** Obtains the account and puts its secrets in `ctx.secrets` (DRILL_SECRETS.password / totpSecret). */
export async function obtainDrillAccount(ctx: Ctx): Promise<DrillAccount> {
  const sources: Record<string, string> = {};
  const tenant = await text(ctx, 'DRILL_TENANT', 'Tenant (slug)', sources);
  const email = await text(ctx, 'DRILL_EMAIL', 'E-mail', sources);
  await secret(ctx, DRILL_SECRETS.password, 'password', sources);
  await secret(ctx, DRILL_SECRETS.totpSecret, 'TOTP seed (base32)', sources, validTotpSeed);
  return { tenant, email, sources };
}
