/**
 * Restore: the plain `pg_restore -d` from the plain dump file (one job, and two) against `obexal-runbook restore`
 * headless from the bucket (fetch, full verification, decryption, swap restore, post-restore checks), each into a
 * fresh empty database dropped afterwards.
 */
import type { BenchContext, SizeTarget } from '../context.js';
import { dropDatabasesLike } from '../databases.js';
import { assertSucceeded, type MeasuredRun } from '../measure.js';
import { summarize } from '../stats.js';
import { parseEvents, runTool, stepSeconds } from '../tool.js';
import type { Measured, Samples } from '../types.js';
import { toolEnvFor } from './backup.js';
import { createEmptyDatabase, plainRestore } from './plain-commands.js';

const PLAIN_PREFIX = 'bench_plain_';
const TOOL_PREFIX = 'bench_target_';

export async function measurePlainRestore(ctx: BenchContext, file: string, jobs: number): Promise<Samples> {
  const runs: MeasuredRun[] = [];
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    const run = await plainRestore(ctx, file, `${PLAIN_PREFIX}j${jobs}`, jobs);
    runs.push(run);
    ctx.say(`  pg_restore${jobs > 1 ? ` -j ${jobs}` : ''} #${i}: ${run.seconds.toFixed(1)} s`);
    await dropDatabasesLike(ctx.dbs.stack, PLAIN_PREFIX);
  }
  return summarize(runs);
}

/** Extra environment for the restore runs (set by the runner once it knows what the restore runbook reads). */
export function restoreEnv(ctx: BenchContext, target: SizeTarget, restoreUrl: string): Record<string, string> {
  const env: Record<string, string> = { ...toolEnvFor(ctx, target), DATABASE_URL: restoreUrl, CONFIRM: 'yes' };
  // The practice auth-service serves the practice database, not this restore target: stopping and starting it
  // around the swap (APP_STOP_COMMAND / APP_START_COMMAND, about 5 s that depend on the application, not on the
  // tool) and the live checks after the restore (AUTH_SERVICE_URL) would act on the wrong database. What is
  // measured is what `pg_restore` is compared with: fetch, verification, decryption, restore, post-restore checks.
  delete env.AUTH_SERVICE_URL;
  delete env.APP_STOP_COMMAND;
  delete env.APP_START_COMMAND;
  return env;
}

export async function measureToolRestore(
  ctx: BenchContext,
  target: SizeTarget,
  dumpName: string | undefined,
): Promise<Measured> {
  if (!dumpName) return { notMeasured: 'no dump from obexal-runbook backup to restore' };
  const runs: MeasuredRun[] = [];
  const steps: Record<string, number>[] = [];
  const database = `${TOOL_PREFIX}${target.label}`;
  try {
    for (let i = 1; i <= ctx.options.repetitions; i++) {
      const url = await createEmptyDatabase(ctx, database);
      const run = await runTool(
        ctx.tool,
        ['restore', `bucket:${dumpName}`, '--yes', '--json'],
        restoreEnv(ctx, target, url),
      );
      await dropDatabasesLike(ctx.dbs.stack, TOOL_PREFIX);
      assertSucceeded(run, 'obexal-runbook restore');
      runs.push(run);
      steps.push(stepSeconds(parseEvents(run.stdout)));
      ctx.say(
        `  obexal-runbook restore #${i}: ${run.seconds.toFixed(1)} s, tool RSS ${(run.memory.rootPeakBytes / 1e6).toFixed(0)} MB`,
      );
    }
  } catch (error) {
    const message = (error as Error).message;
    ctx.errors.push(`restore (${target.label}): ${message}`);
    ctx.say(`  obexal-runbook restore failed: ${message.split('\n')[0]}`);
    if (runs.length === 0) return { notMeasured: `the restore runbook failed: ${message.split('\n')[0]}` };
  }
  return summarize(runs, { steps });
}
