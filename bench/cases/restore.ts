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

async function plainOnce(ctx: BenchContext, file: string, jobs: number, i: number): Promise<MeasuredRun> {
  const run = await plainRestore(ctx, file, `${PLAIN_PREFIX}j${jobs}`, jobs);
  ctx.say(`  pg_restore${jobs > 1 ? ` -j ${jobs}` : ''} #${i}: ${run.seconds.toFixed(1)} s`);
  await dropDatabasesLike(ctx.dbs.stack, PLAIN_PREFIX);
  return run;
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

async function toolOnce(
  ctx: BenchContext,
  target: SizeTarget,
  dumpName: string,
  i: number,
): Promise<{ run: MeasuredRun; steps: Record<string, number> }> {
  const url = await createEmptyDatabase(ctx, `${TOOL_PREFIX}${target.label}`);
  const run = await runTool(
    ctx.tool,
    ['restore', `bucket:${dumpName}`, '--yes', '--json'],
    restoreEnv(ctx, target, url),
  );
  await dropDatabasesLike(ctx.dbs.stack, TOOL_PREFIX);
  assertSucceeded(run, 'obexal-runbook restore');
  ctx.say(
    `  obexal-runbook restore #${i}: ${run.seconds.toFixed(1)} s, tool RSS ${(run.memory.rootPeakBytes / 1e6).toFixed(0)} MB`,
  );
  return { run, steps: stepSeconds(parseEvents(run.stdout)) };
}

export interface RestoreOutcome {
  /** One entry per element of `jobs`, in its order. */
  plain: Samples[];
  tool: Measured;
}

/**
 * The plain restores (one per element of `jobs`) and the tool's restore, interleaved run by run like the backup
 * lines, so that a change of load on the machine falls on every line alike.
 */
export async function measureRestores(
  ctx: BenchContext,
  target: SizeTarget,
  plainFile: string,
  dumpName: string | undefined,
  jobs: readonly number[],
): Promise<RestoreOutcome> {
  const plainRuns = jobs.map((): MeasuredRun[] => []);
  const toolRuns: MeasuredRun[] = [];
  const steps: Record<string, number>[] = [];
  let toolProblem: string | undefined = dumpName ? undefined : 'no dump from obexal-runbook backup to restore';
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    for (const [index, j] of jobs.entries()) plainRuns[index]!.push(await plainOnce(ctx, plainFile, j, i));
    if (toolProblem !== undefined) continue;
    try {
      const { run, steps: runSteps } = await toolOnce(ctx, target, dumpName!, i);
      toolRuns.push(run);
      steps.push(runSteps);
    } catch (error) {
      const message = (error as Error).message;
      ctx.errors.push(`restore (${target.label}): ${message}`);
      ctx.say(`  obexal-runbook restore failed: ${message.split('\n')[0]}`);
      toolProblem = `the restore runbook failed: ${message.split('\n')[0]}`;
    }
  }
  const tool: Measured =
    toolRuns.length > 0 ? summarize(toolRuns, { steps }) : { notMeasured: toolProblem ?? 'not run' };
  return { plain: plainRuns.map((runs) => summarize(runs)), tool };
}
