/**
 * The tool's fixed cost: `obexal-runbook --help` (nothing but the command line) and `obexal-runbook status` against
 * the practice stack (its environment, the bucket listed, the records read), each run several times, wall time and
 * CPU time (user + system, from /usr/bin/time when it is installed). `status` exits 1 or 2 when no backup or
 * drill is recent enough: its exit code is not judged, only that it printed its report.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import { runMeasured } from '../measure.js';
import { median, round } from '../stats.js';
import { baseEnv } from '../tool.js';
import type { StartupResult } from '../types.js';
import { toolEnvFor } from './backup.js';

const TIME = '/usr/bin/time';
/** Start-up is cheap and noisy: more runs than the other cases' repetitions. */
const RUNS = 7;

async function once(
  ctx: BenchContext,
  args: string[],
  env: Record<string, string>,
): Promise<{ seconds: number; cpu?: number }> {
  const tool = ctx.tool;
  const withTime = existsSync(TIME);
  const out = join(ctx.dbs.workDir, 'startup-time.txt');
  const command = [tool.file, ...tool.prefixArgs, ...args];
  const run = await runMeasured({
    file: withTime ? TIME : command[0]!,
    args: withTime ? ['-f', '%U %S', '-o', out, ...command] : command.slice(1),
    env: { ...baseEnv(), ...tool.extraEnv, ...env },
  });
  if (run.exitCode === null || run.exitCode > 3 || run.stdout.trim() === '')
    throw new Error(
      `obexal-runbook ${args.join(' ')} failed (exit ${String(run.exitCode)}): ${run.stderr.slice(-300)}`,
    );
  if (!withTime) return { seconds: run.seconds };
  const [user, system] = (await readFile(out, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
  await rm(out, { force: true });
  return { seconds: run.seconds, cpu: (user ?? 0) + (system ?? 0) };
}

async function measureOne(ctx: BenchContext, args: string[], env: Record<string, string>): Promise<StartupResult> {
  const walls: number[] = [];
  const cpus: number[] = [];
  await once(ctx, args, env); // warms the compile cache and the page cache, as every run after a user's first
  for (let i = 0; i < RUNS; i++) {
    const { seconds, cpu } = await once(ctx, args, env);
    walls.push(round(seconds, 3));
    if (cpu !== undefined) cpus.push(round(cpu, 3));
  }
  const result: StartupResult = { command: `obexal-runbook ${args.join(' ')}`, seconds: median(walls), samples: walls };
  if (cpus.length > 0) {
    result.cpuSeconds = median(cpus);
    result.cpuSamples = cpus;
  }
  ctx.say(
    `  ${result.command}: ${result.seconds.toFixed(2)} s wall` +
      (result.cpuSeconds === undefined ? '' : `, ${result.cpuSeconds.toFixed(2)} s CPU`),
  );
  return result;
}

export async function measureStartup(ctx: BenchContext): Promise<StartupResult[]> {
  const env = toolEnvFor(ctx, {
    label: 'size',
    database: ctx.dbs.main.name,
    url: ctx.dbs.main.url,
    backupDir: ctx.dbs.stack.env.BACKUP_DIR!,
    s3Prefix: ctx.dbs.stack.env.S3_PREFIX ?? 'obexal/',
  });
  return [await measureOne(ctx, ['--help'], {}), await measureOne(ctx, ['status'], env)];
}
