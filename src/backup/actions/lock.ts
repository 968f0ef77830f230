import { z } from 'zod';
import { isDuration, parseDuration } from '../../core/duration.js';
import { formatDuration } from '../../core/format.js';
import type { LockOwner } from '../../core/lock.js';
import { defineAction } from '../../engine/action.js';

/** "pid 4242 on host db1 (restore of …, run …) since 2026-…": who a waiting run waits for. */
export function describeHolder(holder: LockOwner | undefined): string {
  if (!holder) return 'a process whose lock file cannot be read yet';
  return `pid ${holder.pid} on host ${holder.host} (${holder.purpose}) since ${holder.startedAt}`;
}

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
    const lock = await acquireSourceLock({
      stateDir: ctx.settings.configDir,
      systemIdentifier: params.systemIdentifier,
      database: params.database,
      purpose: `${params.purpose} of ${params.target} (run ${ctx.runId})`,
      waitMs: parseDuration(params.wait),
      signal: ctx.signal,
      onWait: (holder, waitMs) => {
        const what = `the lock of ${params.target}: held by ${describeHolder(holder)}`;
        ctx.output(`waiting up to ${formatDuration(waitMs)} for ${what}`, 'info');
      },
    });
    if (lock.reentered) {
      const data = { lockPath: lock.path, reentered: true };
      return { message: `${params.target} is already locked by this run`, data };
    }
    ctx.onCleanup(() => lock.release(), `release the lock ${lock.path}`);
    if (lock.takenOverFrom)
      ctx.output(`took over the lock of a dead process: ${describeHolder(lock.takenOverFrom)}`, 'warn');
    if (lock.removedPartial) ctx.output(`removed ${lock.removedPartial}, the unfinished dump of that dead run`, 'warn');
    const removed = lock.removedPartial ? { removedPartial: lock.removedPartial } : {};
    return { message: `locked ${params.target}`, data: { lockPath: lock.path, ...removed } };
  },
});
