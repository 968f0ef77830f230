/**
 * records.replicate: copies the signed records the bucket lacks to `<S3_PREFIX>records/`. A run's own record is
 * written after its last step, so each run carries the records before it. A bucket that does not answer is a
 * warning, not a failure: the drill's evidence is still signed locally and goes up with the next run.
 */
import { z } from 'zod';
import { messageOf } from '../core/errors.js';
import type { AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';

export const recordsReplicateAction = defineAction({
  name: 'records.replicate',
  description: 'copy the signed records the bucket lacks to <S3_PREFIX>records/',
  params: z.object({}).strict(),
  // The plan shown before a run calls describe without settings.
  describe: (_p, ctx) =>
    ctx.settings?.get('S3_BUCKET')
      ? `copy the records the bucket ${ctx.settings.get('S3_BUCKET')} lacks`
      : 'copy the records the bucket lacks (when S3_BUCKET is set)',
  async run(_params, ctx) {
    if (!ctx.settings.get('S3_BUCKET'))
      return { outcome: 'skipped', message: 'no bucket configured (S3_BUCKET): the records stay in RECORDS_DIR only' };
    const [{ replicateRecords }, { recordsDirOf }] = await Promise.all([
      import('./replicate.js'),
      import('./records-dir.js'),
    ]);
    const recordsDir = recordsDirOf(ctx.settings);
    try {
      const result = await replicateRecords(ctx.settings, { recordsDir, signal: ctx.signal });
      for (const file of result.differing)
        ctx.output(
          `the bucket's copy of ${file} differs from the local one: left as it is (compare them; a ` +
            `record never changes)`,
          'warn',
        );
      const message =
        `${result.uploaded.length} file(s) uploaded, ${result.alreadyThere} already in the ` +
        `bucket${result.differing.length ? `, ${result.differing.length} differing` : ''}`;
      return {
        message,
        data: {
          uploaded: result.uploaded,
          alreadyThere: result.alreadyThere,
          differing: result.differing,
          record: { recordsReplicated: { uploaded: result.uploaded.length, differing: result.differing } },
        },
      };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const problem = messageOf(error);
      ctx.output(
        `the records could not be copied to the bucket (${problem}): they stay signed ` +
          `in ${recordsDir} and go up with the next run`,
        'warn',
      );
      return {
        message: `records not replicated: ${problem}`,
        data: { problem, record: { recordsReplicated: { problem } } },
      };
    }
  },
});

export const recordsActions: readonly AnyAction[] = [recordsReplicateAction];
