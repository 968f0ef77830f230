import { z } from 'zod';
import { defineAction } from '../../engine/action.js';
import { bucketOf } from '../step-targets.js';

/** Every check that can fail before a backup writes anything, and the plan. */
export const backupPreflightAction = defineAction({
  name: 'backup.preflight',
  description: 'check the database, pg_dump, BACKUP_DIR, recipients and settings before a backup; show the plan',
  readOnly: true,
  rerunOnResume: true,
  params: z
    .object({
      reason: z.string().optional(),
      pin: z.string().optional(),
      /** The runbook's next step is bucket.preflight: start its read-only check now, while the database answers. */
      startBucketCheck: z.boolean().optional(),
    })
    .strict(),
  describe: () => 'check the database, pg_dump, BACKUP_DIR, free space, recipients and settings',
  async run(params, ctx) {
    const s3Settings = params.startBucketCheck ? bucketOf(ctx) : undefined;
    const { runBackupPreflight } = await import('../preflight.js');
    // The database's reads and `pg_dump --version` first: they wait on the server and on a process, and the bucket
    // check's start (loading the S3 client, 30-50 ms of CPU) runs while they wait instead of before they start.
    const preflight = runBackupPreflight({ reason: params.reason, pin: params.pin }, ctx);
    preflight.catch(() => undefined); // awaited below, once the bucket check has started
    const early = s3Settings
      ? (await import('../../bucket/preflight-check.js')).startBucketPreflight(
          s3Settings,
          ctx.settings.configDir,
          ctx.signal,
        )
      : undefined;
    try {
      const result = await preflight;
      early?.release();
      return result;
    } catch (error) {
      early?.cancel();
      throw error;
    }
  },
});
