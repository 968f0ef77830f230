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

export async function runRotationPreflight(ctx: ActionContext): Promise<ActionResult> {
  // The settings it cannot run without are the runbook's `requires:` (runbooks/key-rotation.yaml), checked by the
  // engine before this step; the commands must still be set when this action runs from another runbook.
  const unset = (['APP_STOP_COMMAND', 'APP_START_COMMAND'] as const).filter((name) => !ctx.settings.get(name));
  if (unset.length > 0)
    throw new UsageError(
      `the key rotation needs ${unset.join(', ')}: nothing was changed`,
      'set the commands that stop and start the auth-service (runbooks/key-rotation.yaml lists them in requires:)',
    );
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
