/**
 * What the bucket and retention steps work on: the backup folder (BACKUP_DIR, or the step's `dir`) and the bucket
 * (undefined when none is configured).
 */
import { z } from 'zod';
import type { ParsedSettings } from '../core/parsed-settings.js';
import type { ActionContext } from '../engine/action.js';
import { registerAwsSecrets, type S3Settings } from '../s3/settings.js';

export const dirParams = z.object({ dir: z.string().min(1).optional() }).strict();
export type DirParams = z.infer<typeof dirParams>;

export function backupDirOf(params: DirParams, config: ParsedSettings): string {
  return params.dir ?? config.backup.dir;
}

/** The bucket settings, or undefined when no bucket is configured. */
export function bucketOf(ctx: ActionContext): S3Settings | undefined {
  registerAwsSecrets(ctx.settings.env);
  return ctx.config.bucket;
}

export const NO_BUCKET = 'no bucket configured (S3_BUCKET is unset): there is no off-site copy';
