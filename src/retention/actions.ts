/**
 * The retention steps: `retention.plan`, `retention.apply`, `retention.hold`, `retention.release`. The AWS SDK and
 * the work itself load inside `run` (dynamic imports), so that validating a runbook stays fast.
 */
import { z } from 'zod';
import { messageOf, StepFailedError } from '../core/errors.js';
import type { ParsedSettings } from '../core/parsed-settings.js';
import type { ActionContext, AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';
import type { ErasureWindow, LocationPlan } from '../backup/retention.js';
import type { RetentionSurvey } from '../backup/retention-run.js';
import { backupDirOf, bucketOf, dirParams, NO_BUCKET, type DirParams } from '../backup/step-targets.js';

/** "BACKUP_DIR's path and the bucket", as the retention steps describe themselves. */
function whereDescribed(dir: string | undefined, config: ParsedSettings): string {
  return `${dir ?? config.backup.dir}${config.bucket ? ' and the bucket' : ''}`;
}

async function survey(params: DirParams, ctx: ActionContext) {
  const backupDir = backupDirOf(params, ctx.config);
  const { retentionPolicy } = await import('../backup/retention.js');
  const policy = retentionPolicy(String(ctx.config.backup.retentionDays));
  const s3Settings = bucketOf(ctx);
  const { surveyRetention } = await import('../backup/retention-run.js');
  const s3 = s3Settings ? (await import('../s3/client.js')).openS3(s3Settings) : undefined;
  if (s3) ctx.onCleanup(() => s3.client.destroy(), 'close the bucket connection');
  const target = { backupDir, policy, signal: ctx.signal, ...(s3 ? { s3 } : {}) };
  return { target, result: await surveyRetention(target) };
}

/** The retention report kept in the run's record: every backup in each place, the erasure window, the GDPR text. */
function retentionReport(result: RetentionSurvey, window: ErasureWindow, gdpr: string) {
  const listed = (plan: LocationPlan) =>
    plan.backups.map((d) => ({
      names: d.names,
      bytes: d.size,
      takenAt: d.takenAt.toISOString(),
      reason: d.reason ?? null,
      pinUntil: d.pinUntil?.toISOString() ?? null,
      eras: d.eras,
      verified: d.verified,
      verdict: d.verdict,
      keepUntil: d.keepUntil?.toISOString() ?? null,
    }));
  return {
    local: {
      where: result.local.where,
      backups: listed(result.localPlan),
      bytes: result.localPlan.backups.reduce((n, d) => n + d.size, 0),
    },
    bucket: result.bucketPlan
      ? {
          where: result.bucketPlan.where,
          backups: listed(result.bucketPlan),
          bytes: result.bucketPlan.backups.reduce((n, d) => n + d.size, 0),
          versioning: result.versioning?.status ?? null,
          lifecycle: result.lifecycle?.status ?? null,
          objectLock: result.objectLock?.status ?? null,
        }
      : null,
    erasure: {
      from: window.from.toISOString(),
      until: window.until?.toISOString() ?? null,
      windowUntil: window.windowUntil.toISOString(),
      pinnedUntil: window.pinnedUntil?.toISOString() ?? null,
      bucketNotes: window.bucketNotes,
    },
    gdpr,
  };
}

export const retentionPlanAction = defineAction({
  name: 'retention.plan',
  description:
    'report what exists locally and in the bucket, until when each backup is kept, and what the next prune removes',
  readOnly: true,
  rerunOnResume: true,
  params: dirParams,
  describe: (p, ctx) => `report retention of ${whereDescribed(p.dir, ctx.config)}`,
  async run(params, ctx) {
    const { surveyLines, gdprParagraph, surveyErasureWindow } = await import('../backup/retention-run.js');
    const { activeHold } = await import('../backup/hold.js');
    const { prunable } = await import('../backup/retention.js');
    const { result } = await survey(params, ctx);
    for (const line of surveyLines(result, new Date())) ctx.output(line, 'info', 'note');
    const local = prunable(result.localPlan);
    const bucket = result.bucketPlan ? prunable(result.bucketPlan) : undefined;
    const hold = activeHold(result.hold);
    const report = retentionReport(result, surveyErasureWindow(result), gdprParagraph(result).join('\n'));
    const data = {
      held: hold ?? null,
      local: {
        backups: result.localPlan.backups.length,
        prune: local.backups.length,
        stalePartials: local.partials.length,
      },
      bucket:
        bucket && result.bucketPlan
          ? { backups: result.bucketPlan.backups.length, prune: bucket.backups.length }
          : null,
      record: { retention: report },
    };
    if (result.bucketError) {
      throw new StepFailedError(
        `the bucket could not be read: ${messageOf(result.bucketError)}`,
        (result.bucketError as { hint?: string }).hint,
      );
    }
    const count = local.backups.length + (bucket?.backups.length ?? 0);
    const message = hold
      ? `hold active (${hold.reason}): nothing is pruned`
      : count === 0
        ? 'nothing to prune'
        : `the next prune removes ${local.backups.length} local and ${bucket?.backups.length ?? 0} bucket backup(s)`;
    return { message, data };
  },
});

export const retentionApplyAction = defineAction({
  name: 'retention.apply',
  description:
    'prune backups older than RETENTION_DAYS locally and in the bucket (never the newest verified, ' +
    'a pinned one, or a foreign file)',
  params: dirParams,
  describe: (p, ctx) =>
    `prune backups older than ${ctx.config.backup.retentionDays} days ` + `in ${whereDescribed(p.dir, ctx.config)}`,
  async run(params, ctx) {
    const backupDir = backupDirOf(params, ctx.config);
    const { withMaintenanceLock } = await import('../backup/maintenance-lock.js');
    const { pruneSurvey } = await import('../backup/retention-run.js');
    const { activeHold, describeHold } = await import('../backup/hold.js');
    const { planLines, prunable } = await import('../backup/retention.js');
    const outcome = await withMaintenanceLock(
      backupDir,
      `retention of ${backupDir} (run ${ctx.runId})`,
      async () => {
        const { target, result } = await survey(params, ctx);
        const now = new Date();
        const blocked = activeHold(result.hold) !== undefined || result.bucketError !== undefined;
        for (const plan of blocked ? [] : [result.localPlan, result.bucketPlan]) {
          if (!plan) continue;
          const lines = planLines({ ...plan, ...prunable(plan), ignored: [] }, now).filter((l) => l.includes('PRUNE'));
          for (const line of lines) ctx.output(`will prune: ${line}`);
        }
        const pruned = await pruneSurvey(result, target, (line) => ctx.output(line));
        if (pruned.held) ctx.output(`${describeHold(pruned.held)}: nothing is pruned`, 'warn');
        for (const note of pruned.notes) ctx.output(note, 'warn');
        return pruned;
      },
      { signal: ctx.signal, onWait: (line) => ctx.output(line) },
    );
    const retention = {
      held: outcome.held ?? null,
      prunedLocal: outcome.local,
      prunedBucket: outcome.bucket,
      notes: outcome.notes,
    };
    const message = outcome.held
      ? `hold active since ${outcome.held.since} (${outcome.held.reason}): nothing pruned`
      : `pruned ${outcome.local.length} local file(s) and ${outcome.bucket.length} bucket object(s)`;
    return { message, data: { ...retention, bytesFreedLocally: outcome.bytes, record: { retention } } };
  },
});

export const retentionHoldAction = defineAction({
  name: 'retention.hold',
  description: 'suspend every retention deletion (locally and in the bucket) until released',
  params: z.object({ reason: z.string().optional(), dir: z.string().min(1).optional() }).strict(),
  describe: (p) => `place a retention hold${p.reason ? `: ${p.reason}` : ''}`,
  async run(params, ctx) {
    const backupDir = backupDirOf(params, ctx.config);
    const reason =
      params.reason?.trim() ||
      (await ctx.interactor.text(
        {
          kind: 'text',
          name: 'hold-reason',
          message: 'Why are deletions suspended (incident, ticket)?',
          default: 'incident',
        },
        ctx.signal,
      ));
    const { newHold, writeLocalHold, writeBucketHold } = await import('../backup/hold.js');
    const { ensureBackupDir } = await import('../backup/backup-dir.js');
    const hold = newHold(reason);
    await ensureBackupDir(backupDir);
    const path = await writeLocalHold(backupDir, hold);
    ctx.output(`hold written to ${path}`);
    const s3Settings = bucketOf(ctx);
    if (s3Settings) {
      const { openS3, closeS3 } = await import('../s3/client.js');
      const { describeLocation } = await import('../s3/settings.js');
      const context = openS3(s3Settings);
      try {
        await writeBucketHold(context, hold, ctx.signal);
        ctx.output(`hold written to ${describeLocation(s3Settings, 'retention-hold.json')}`);
      } catch (error) {
        throw new StepFailedError(
          `the local hold is in place, but the bucket's could not be written: ${messageOf(error)}; ` +
            `hosts that prune the bucket without this folder do not see the hold`,
          (error as { hint?: string }).hint ?? 'fix the bucket access and place the hold again',
          error,
        );
      } finally {
        closeS3(context);
      }
    } else {
      ctx.output(NO_BUCKET, 'warn');
    }
    return {
      message: `retention hold placed: ${hold.reason}`,
      data: { hold, record: { retentionHold: { placed: hold } } },
    };
  },
});

export const retentionReleaseAction = defineAction({
  name: 'retention.release',
  description: 'release the retention hold (locally and in the bucket): the next prune deletes again',
  params: dirParams,
  describe: () => 'release the retention hold',
  async run(params, ctx) {
    const backupDir = backupDirOf(params, ctx.config);
    const { readLocalHold, removeLocalHold, removeBucketHold } = await import('../backup/hold.js');
    const previous = await readLocalHold(backupDir);
    const removedLocal = await removeLocalHold(backupDir);
    ctx.output(removedLocal ? `local hold removed (${previous?.reason ?? 'unknown reason'})` : 'no local hold');
    let removedBucket = false;
    const s3Settings = bucketOf(ctx);
    if (s3Settings) {
      const { openS3, closeS3 } = await import('../s3/client.js');
      const context = openS3(s3Settings);
      try {
        removedBucket = await removeBucketHold(context, ctx.signal);
        ctx.output(removedBucket ? 'bucket hold removed' : 'no bucket hold');
      } catch (error) {
        throw new StepFailedError(
          `${removedLocal ? 'the local hold was removed, but ' : ''}the bucket's hold could not be ` +
            `removed: ${messageOf(error)}; deletions stay suspended wherever the bucket is read`,
          (error as { hint?: string }).hint ?? 'fix the bucket access and release again',
          error,
        );
      } finally {
        closeS3(context);
      }
    }
    const released = removedLocal || removedBucket;
    return {
      message: released ? 'retention hold released' : 'there was no hold',
      data: { released, record: { retentionHold: { released } } },
    };
  },
});

export const retentionActions: readonly AnyAction[] = [
  retentionPlanAction,
  retentionApplyAction,
  retentionHoldAction,
  retentionReleaseAction,
];
