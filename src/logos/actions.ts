import { z } from 'zod';
import type { AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';

/** The optional mirror of the MinIO tenant-logos bucket (LOGOS_S3_BUCKET) into the backup bucket. */
export const logosMirrorAction = defineAction({
  name: 'logos.mirror',
  description: 'copy the tenant logos from MinIO (LOGOS_S3_BUCKET) into the backup bucket, streamed, only what changed',
  params: z.object({}).strict(),
  describe: (_p, ctx) =>
    `mirror s3://${ctx.config.logos?.bucket ?? 'LOGOS_S3_BUCKET'} ` +
    `into ${ctx.config.bucket?.bucket ?? 'the backup bucket'}`,
  async run(_params, ctx) {
    const { mirrorTenantLogos } = await import('./mirror.js');
    const { formatBytes } = await import('../core/format.js');
    ctx.settings.require('S3_BUCKET', 'the logos are mirrored into the backup bucket: set S3_BUCKET');
    const result = await mirrorTenantLogos(ctx.settings, {
      signal: ctx.signal,
      onCopy: (name, size) => ctx.output(`copied ${name} (${formatBytes(size)})`),
    });
    if (result.onlyInMirror > 0)
      ctx.output(`${result.onlyInMirror} object(s) in the mirror are no longer in the source: kept`);
    return {
      message:
        `${result.objects} logo object(s) in ${result.source}: ${result.copied} copied ` +
        `(${formatBytes(result.copiedBytes)}), ${result.unchanged} unchanged, into ${result.target}`,
      data: { logos: result },
    };
  },
});

export const logosActions: readonly AnyAction[] = [logosMirrorAction];
