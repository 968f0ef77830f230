/** restore.check: the restored database checked against the manifest and the archive, after the swap. */
import { StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { withClient } from '../pg/client.js';
import { parseConnectionString } from '../pg/target.js';
import { checkAuditTrigger, checkExtensions, checkMigration, compareRowCounts, type CheckOutcome } from './checks.js';
import type { VerifiedDump } from './types.js';

export interface CheckParams {
  target: string;
  dump: VerifiedDump;
  auditTable: string;
}

export async function runCheck(params: CheckParams, ctx: ActionContext): Promise<ActionResult> {
  const target = parseConnectionString(params.target);
  const manifest = params.dump.manifest;
  const outcomes: CheckOutcome[] = await withClient(
    target,
    async (client) => [
      manifest ? await compareRowCounts(client, manifest.rowCounts, 'at-least') : { name: 'row counts', ok: true, detail: 'no manifest to compare with' },
      await checkAuditTrigger(client, params.auditTable),
      await checkMigration(client, manifest ? manifest.schemaMigration.version : undefined),
      await checkExtensions(client, params.dump.archive.extensions),
    ],
    ctx.signal,
  );
  for (const o of outcomes) ctx.output(`${o.ok ? 'ok' : 'FAILED'}: ${o.name}: ${o.detail}`, o.ok ? 'info' : 'warn');
  const failed = outcomes.filter((o) => !o.ok);
  const data = { checks: outcomes, record: { restoreChecks: outcomes.map((o) => ({ name: o.name, ok: o.ok })) } };
  if (failed.length > 0) {
    throw new StepFailedError(
      `${failed.length} check(s) of the restored database ${target.label} failed: ${failed.map((f) => `${f.name}: ${f.detail}`).join('; ')}`,
      'the restored database is in place: investigate before letting users in; the previous database is still there in swap mode (<db>__before_<run id>)',
    );
  }
  return { message: `${outcomes.length} checks passed on ${target.label}`, data };
}
