/**
 * Every encrypted value of the known schema (table and column list from the runbook) must open under the
 * current ENCRYPTION_KEY alone: what Obexal needs once ENCRYPTION_KEY_OLD is withdrawn.
 */
import { StepFailedError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { shortFingerprint } from '../keys/fingerprint.js';
import { obtainCurrentKey } from '../keysource/encryption-keys.js';
import { withClient } from '../pg/client.js';
import type { PgTarget } from '../pg/target.js';
import { valuesInDatabase } from './encrypted-values.js';
import { describeUnreadable, takeCensus, type Census } from './key-census.js';
import type { EncryptedColumnSpec } from './types.js';

export class SecretsNotUnderCurrentKeyError extends StepFailedError {}

export async function verifySecretsUnderCurrentKey(
  ctx: ActionContext,
  target: PgTarget,
  columns: readonly EncryptedColumnSpec[],
  stateHint: string,
): Promise<Census> {
  const current = await obtainCurrentKey(ctx, undefined);
  const census = await withClient(
    target,
    (client) =>
      takeCensus(valuesInDatabase(client, columns), [current.key], (done) =>
        ctx.progress({ done, unit: 'values', label: 'checking every value opens under ENCRYPTION_KEY alone' }),
      ),
    ctx.signal,
  );
  if (census.unreadableTotal > 0) {
    throw new SecretsNotUnderCurrentKeyError(
      `${census.unreadableTotal} of ${census.total} encrypted values of ${target.label} do not open ` +
        `under ENCRYPTION_KEY alone ` +
        `(fingerprint ${shortFingerprint(current.fingerprint)}): ${describeUnreadable(census)}`,
      stateHint,
    );
  }
  const per = Object.entries(census.perColumn)
    .map(([w, n]) => `${w} ${n}`)
    .join(', ');
  ctx.output(`every encrypted value opens under ENCRYPTION_KEY alone (${census.total}: ${per || 'none'})`, 'info');
  return census;
}
