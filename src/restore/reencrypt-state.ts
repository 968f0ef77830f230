/**
 * What a database holds after reencrypt-secrets stopped (failed, or was interrupted): how many encrypted values
 * open under the current key, how many still only under an older era's key, how many under none. Counted from
 * the database itself, so the message an operator reads is the state, not a guess; and the command that
 * finishes the job.
 */
import { messageOf } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import type { HeldKey } from '../keysource/encryption-keys.js';
import { withClient } from '../pg/client.js';
import type { PgTarget } from '../pg/target.js';
import { valuesInDatabase } from './encrypted-values.js';
import { takeCensus } from './key-census.js';
import type { EncryptedColumnSpec } from './types.js';

/** How long the count may take after a failure before the message falls back to what is known without it. */
const CENSUS_TIMEOUT_MS = 60_000;

/** The era labels of the older keys the key-era step accepted (for messages; labels only, never keys). */
export function olderEraLabels(ctx: Pick<ActionContext, 'steps'>): string[] {
  const keys = ctx.steps['key-era']?.data.keys;
  if (!Array.isArray(keys)) return [];
  return [
    ...new Set(
      keys
        .map((k) => (k && typeof k === 'object' ? String((k as { era?: unknown }).era ?? '') : ''))
        .filter((e) => e !== ''),
    ),
  ];
}

export interface ReencryptState {
  /** One or two sentences: what the database holds now and what reads it. */
  state: string;
  /** What to run to finish. */
  next: string;
  counts?: { total: number; current: number; older: number; none: number };
}

export async function describeReencryptState(
  ctx: Pick<ActionContext, 'steps' | 'runId' | 'runbook'>,
  target: PgTarget,
  current: HeldKey,
  old: readonly HeldKey[],
  columns: readonly EncryptedColumnSpec[],
  options: { count: boolean },
): Promise<ReencryptState> {
  const eras = olderEraLabels(ctx);
  const eraText = eras.length > 0 ? eras.map((e) => `"${e}"`).join(' and ') : 'the older era';
  const restored =
    ctx.steps.apply?.outcome === 'ok'
      ? `${target.label} is restored (the restore itself is done and is not repeated); `
      : `${target.label}: `;
  const readers =
    `until this is finished the auth-service must run with ENCRYPTION_KEY and the key of ` +
    `era ${eraText} in ENCRYPTION_KEY_OLD, or it cannot read them`;
  const next =
    `fix the cause (the messages above), then finish the job; reencrypt-secrets is idempotent and safe to re-run: ` +
    (`CONFIRM=yes DATABASE_URL=<the URL of ${target.label}> ENCRYPTION_KEY=<current key> ` +
      `ENCRYPTION_KEY_OLD=<key of era ${eraText}> obexal-runbook reencrypt-secrets`) +
    `, or obexal-runbook ${ctx.runbook} --resume ${ctx.runId}`;
  const uncounted = (why: string): ReencryptState => ({
    state:
      `${restored}its encrypted values are partly under ENCRYPTION_KEY and partly still under the ` +
      `older key(s) of era ${eraText} ` +
      `(${why}); each batch is one transaction, so no value is half-written; ${readers}`,
    next,
  });
  // After Ctrl+C the operator wants the prompt back: no count then.
  if (!options.count) return uncounted('not counted: the run was stopped');
  const timeout = AbortSignal.timeout(CENSUS_TIMEOUT_MS);
  try {
    const census = await withClient(
      target,
      (client) => takeCensus(valuesInDatabase(client, columns), [current.key, ...old.map((k) => k.key)]),
      timeout,
    );
    const underCurrent = census.perKey[0] ?? 0;
    const underOlder = census.perKey.slice(1).reduce((a, b) => a + b, 0);
    const none = census.unreadableTotal;
    const state =
      `${restored}of its ${census.total} encrypted values, ${underCurrent} open under ` +
      `ENCRYPTION_KEY and ${underOlder} still only under the older key(s) of era ${eraText}` +
      (`${none > 0 ? `, and ${none} under none of the keys held` : ''}; each batch is one ` +
        `transaction, so no value is half-written; ${readers}`);
    return { state, next, counts: { total: census.total, current: underCurrent, older: underOlder, none } };
  } catch (error) {
    return uncounted(`they could not be counted: ${messageOf(error)}`);
  }
}
