/**
 * The bucket steps: `bucket.preflight`, `bucket.replicate`. The AWS SDK and the work itself load inside `run`
 * (dynamic imports), so that validating a runbook stays fast.
 */
import { z } from 'zod';
import type { ActionContext, AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';
import { backupDirOf, bucketOf, dirParams, NO_BUCKET } from '../backup/step-targets.js';

function say(ctx: ActionContext): (line: string, stream?: 'info' | 'warn') => void {
  return (line, stream = 'info') => ctx.output(line, stream);
}

export const bucketPreflightAction = defineAction({
  name: 'bucket.preflight',
  description:
    'check the bucket: it answers, the credentials are accepted, its region is allowed; report ' +
    'versioning and Object Lock',
  readOnly: true,
  rerunOnResume: true,
  params: z.object({}).strict(),
  describe: (_p, ctx) => (ctx.config.bucket ? `check bucket ${ctx.config.bucket.bucket}` : 'no bucket configured'),
  async run(_params, ctx) {
    const s3Settings = bucketOf(ctx);
    if (!s3Settings) {
      ctx.output(NO_BUCKET, 'warn');
      return { outcome: 'skipped', message: NO_BUCKET, data: { configured: false } };
    }
    const { bucketPreflight } = await import('./preflight-check.js');
    const { inspection, factsReadAt } = await bucketPreflight(s3Settings, ctx.settings.configDir, ctx.signal);
    ctx.output(`bucket s3://${inspection.bucket}/${inspection.prefix} at ${inspection.endpoint}`);
    ctx.output(
      `region ${inspection.region.region} (allowed by ALLOWED_DATA_REGIONS=${s3Settings.allowedRegions.join(',')})`,
    );
    ctx.output(
      `versioning: ${inspection.versioning.status}; Object Lock: ${inspection.objectLock.status}; ` +
        `lifecycle rules: ${inspection.lifecycle.status}`,
    );
    if (factsReadAt) {
      ctx.output(
        `the bucket answers; its configuration as read at ${factsReadAt} by an earlier run ` +
          `(read again by the replicate step)`,
      );
    }
    for (const note of inspection.notes) ctx.output(note, 'warn');
    return {
      message:
        `bucket ${inspection.bucket} answers in ${inspection.region.region}; ` +
        `versioning ${inspection.versioning.status}, Object Lock ${inspection.objectLock.status}`,
      data: {
        configured: true,
        region: inspection.region.region,
        versioning: inspection.versioning.status,
        objectLock: inspection.objectLock.status,
        lifecycle: inspection.lifecycle.status,
        notes: inspection.notes,
        ...(factsReadAt ? { factsReadAt } : {}),
      },
    };
  },
});

export const bucketReplicateAction = defineAction({
  name: 'bucket.replicate',
  description:
    'upload every local backup the bucket lacks (or holds differently), verify the copies, record ' +
    'the check in the manifests',
  params: dirParams,
  describe: (p, ctx) =>
    `replicate ${p.dir ?? ctx.config.backup.dir} ` +
    `to ${ctx.config.bucket ? `bucket ${ctx.config.bucket.bucket}` : '(no bucket configured)'}`,
  async run(params, ctx) {
    const backupDir = backupDirOf(params, ctx.config);
    const { retentionPolicy } = await import('../backup/retention.js');
    const policy = retentionPolicy(String(ctx.config.backup.retentionDays));
    const s3Settings = bucketOf(ctx);
    if (!s3Settings) {
      ctx.output(NO_BUCKET, 'warn');
      return { outcome: 'skipped', message: NO_BUCKET, data: { configured: false } };
    }
    const { replicateBackups, replicationSummary } = await import('../backup/replicate.js');
    const { withMaintenanceLock } = await import('../backup/maintenance-lock.js');
    const result = await withMaintenanceLock(
      backupDir,
      `replication of ${backupDir} (run ${ctx.runId})`,
      () =>
        replicateBackups({
          backupDir,
          s3: s3Settings,
          policy,
          signal: ctx.signal,
          output: say(ctx),
          progress: (u) => ctx.progress(u),
        }),
      { signal: ctx.signal, onWait: (line) => ctx.output(line) },
    );
    const { factsOf, storeBucketFacts } = await import('../s3/bucket-facts.js');
    await storeBucketFacts(ctx.settings.configDir, s3Settings, factsOf(result.inspection, new Date()));
    const replication = {
      bucket: result.bucket,
      prefix: result.prefix,
      uploaded: result.uploaded,
      newest: result.newest ?? null,
      objectLock: result.inspection.objectLock.status,
      versioning: result.inspection.versioning.status,
    };
    return {
      message: replicationSummary(result),
      data: {
        ...replication,
        alreadyThere: result.alreadyThere,
        bytesUploaded: result.bytesUploaded,
        skipped: result.skipped,
        record: { replication },
      },
    };
  },
});

export const bucketActions: readonly AnyAction[] = [bucketPreflightAction, bucketReplicateAction];
