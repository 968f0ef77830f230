import { z } from 'zod';
import { isDuration, parseDuration } from '../../core/duration.js';
import { defineAction } from '../../engine/action.js';

/** Takes the per-source lock shared with restore and key rotation; released when the run ends. */
export const backupLockAction = defineAction({
  name: 'backup.lock',
  description: 'take the lock of the source database (shared with restore and key rotation) until the run ends',
  // A resumed run must hold the lock again: the earlier run released it when it stopped.
  rerunOnResume: true,
  params: z
    .object({
      systemIdentifier: z.string().min(1),
      database: z.string().min(1),
      target: z.string().min(1),
      purpose: z.string().default('backup'),
      wait: z.string().refine(isDuration, { message: 'expected a duration such as 30s' }).default('0s'),
    })
    .strict(),
  describe: (p) => `lock ${p.target} for this run (${p.purpose})`,
  async run(params, ctx) {
    const { acquireSourceLock } = await import('../source-lock.js');
    const backupDir = ctx.settings.require('BACKUP_DIR');
    const lock = await acquireSourceLock({
      backupDir,
      systemIdentifier: params.systemIdentifier,
      database: params.database,
      purpose: `${params.purpose} of ${params.target} (run ${ctx.runId})`,
      waitMs: parseDuration(params.wait),
    });
    if (lock.reentered) return { message: `${params.target} is already locked by this run`, data: { lockPath: lock.path, reentered: true } };
    ctx.onCleanup(() => lock.release(), `release the lock ${lock.path}`);
    return { message: `locked ${params.target}`, data: { lockPath: lock.path } };
  },
});
