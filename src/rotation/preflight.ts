/**
 * rotation.preflight: everything a key rotation needs before it touches anything (the database, the commands
 * that restart the auth-service, the live URL and the drill account for the live checks), and where the register
 * stands: no rotation under way (one open era), or one under way (two open eras), which this run continues.
 */
import { describeCommand } from '../core/exec.js';
import { splitCommand } from '../core/command-template.js';
import { UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { describeEra } from '../keysource/encryption-keys.js';
import { DEFAULT_AUTH_SERVICE_EXEC } from '../restore/reencrypt.js';
import { readRotationState } from './register-state.js';

const REQUIRED: { name: string; hint: string }[] = [
  { name: 'DATABASE_URL', hint: 'set DATABASE_URL to the Obexal database whose secrets are re-encrypted' },
  { name: 'BACKUP_DIR', hint: 'set BACKUP_DIR: the rotation takes a backup before and after' },
  {
    name: 'APP_STOP_COMMAND',
    hint:
      'set APP_STOP_COMMAND to the command that stops the auth-service (e.g. docker compose -f ' +
      'compose.prod.yml stop auth-service)',
  },
  {
    name: 'APP_START_COMMAND',
    hint:
      'set APP_START_COMMAND to the command that starts it (e.g. docker compose -f compose.prod.yml ' +
      'up -d auth-service); it receives ENCRYPTION_KEY and ENCRYPTION_KEY_OLD in its environment',
  },
  {
    name: 'AUTH_SERVICE_URL',
    hint: 'set AUTH_SERVICE_URL to the live auth-service: the rotation checks it with the old key withdrawn',
  },
  {
    name: 'DRILL_EMAIL',
    hint: 'set DRILL_EMAIL (and DRILL_PASSWORD, DRILL_TOTP_SECRET): the live checks sign in as the drill account',
  },
];

export async function runRotationPreflight(ctx: ActionContext): Promise<ActionResult> {
  const missing = REQUIRED.filter((r) => !ctx.settings.get(r.name));
  if (missing.length > 0) {
    throw new UsageError(
      `the key rotation needs ${missing.map((m) => m.name).join(', ')}: nothing was changed`,
      missing.map((m) => m.hint).join('; '),
    );
  }
  for (const name of ['APP_STOP_COMMAND', 'APP_START_COMMAND'] as const) {
    const [file, ...args] = splitCommand(ctx.settings.get(name) as string, name);
    ctx.output(`${name}: ${describeCommand(file as string, args)}`, 'info');
  }
  const exec = ctx.settings.get('AUTH_SERVICE_EXEC');
  ctx.output(
    `reencrypt-secrets ` +
      `through ${exec ? 'AUTH_SERVICE_EXEC' : `the default AUTH_SERVICE_EXEC (${DEFAULT_AUTH_SERVICE_EXEC})`}`,
    exec ? 'info' : 'warn',
  );
  ctx.output(
    `live checks against ${ctx.settings.get('AUTH_SERVICE_URL')} as ${ctx.settings.get('DRILL_EMAIL')}`,
    'info',
  );

  const state = await readRotationState(ctx);
  if (!state.register || !state.old) {
    ctx.output(
      'no key-era register yet: the pre-rotation backup creates it (it asks once for the current ' +
        "era's label and ENCRYPTION_KEY)",
      'info',
    );
    return {
      message: 'no key-era register yet (the pre-rotation backup creates it)',
      data: { underWay: false, register: 'none' },
    };
  }
  if (state.next) {
    ctx.output(`a rotation is under way: ${describeEra(state.next)} is open beside ${describeEra(state.old)}`, 'warn');
    ctx.output(
      'this run continues it: the pre-rotation backup was taken before the new era opened and is not taken again',
      'info',
    );
    return {
      message:
        `continuing the rotation from "${state.old.label}" to "${state.next.label}" ` + `(started ${state.next.start})`,
      data: { underWay: true, oldEra: state.old.label, newEra: state.next.label, register: state.source },
    };
  }
  ctx.output(
    `current key era: ${describeEra(state.old)} (register from ` +
      `the ${state.source === 'bucket' ? 'bucket' : 'local copy'})`,
    'info',
  );
  return {
    message: `current era "${state.old.label}"; no rotation under way`,
    data: { underWay: false, oldEra: state.old.label, register: state.source },
  };
}
