/**
 * Backup: the plain `pg_dump --format=custom -f file` (gzip 6) against `obexal-runbook backup` headless (dump,
 * encryption, checksums, manifest, upload to the local bucket, verification of the copy), interleaved run by run
 * so that drift of the machine falls on both alike.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext, SizeTarget } from '../context.js';
import { assertSucceeded, type MeasuredRun } from '../measure.js';
import { summarize } from '../stats.js';
import { parseEvents, runTool, stepSeconds } from '../tool.js';
import type { Measured, Samples } from '../types.js';
import { plainDump } from './plain-commands.js';

export interface BackupOutcome {
  baseline?: Samples;
  tool: Measured;
  /** The plain dump kept for the restore baseline. */
  plainFile?: string;
  /** The newest dump the tool wrote (its name in the bucket, its local path). */
  toolDump?: { name: string; path: string };
}

/**
 * The practice stack's environment pointed at one of the benchmark's databases. The tenant-logo mirror
 * (LOGOS_*: MinIO, not the database) is left out: pg_dump has nothing to compare it with.
 */
export function toolEnvFor(ctx: BenchContext, target: SizeTarget): Record<string, string> {
  const env = Object.fromEntries(Object.entries(ctx.dbs.stack.env).filter(([name]) => !name.startsWith('LOGOS_')));
  return { ...env, DATABASE_URL: target.url, BACKUP_DIR: target.backupDir, S3_PREFIX: target.s3Prefix };
}

async function dumpsIn(dir: string): Promise<Set<string>> {
  try {
    return new Set((await readdir(dir)).filter((f) => /\.dump(\.zst)?\.age$/.test(f)));
  } catch {
    return new Set();
  }
}

async function toolBackup(
  ctx: BenchContext,
  target: SizeTarget,
): Promise<{ run: MeasuredRun; name: string; bytes: number; steps: Record<string, number> }> {
  const before = await dumpsIn(target.backupDir);
  const run = await runTool(ctx.tool, ['backup', '--yes', '--json', '--reason', 'manual'], toolEnvFor(ctx, target));
  assertSucceeded(run, 'obexal-runbook backup');
  const added = [...(await dumpsIn(target.backupDir))].filter((f) => !before.has(f)).sort();
  const name = added.at(-1);
  if (!name)
    throw new Error(`obexal-runbook backup exited 0 but wrote no .dump.zst.age (or .dump.age) in ${target.backupDir}`);
  const bytes = (await stat(join(target.backupDir, name))).size;
  return { run, name, bytes, steps: stepSeconds(parseEvents(run.stdout)) };
}

export async function measureBackup(
  ctx: BenchContext,
  target: SizeTarget,
  withBaseline: boolean,
): Promise<BackupOutcome> {
  const plainDir = join(ctx.dbs.workDir, `plain-${target.label}`);
  await mkdir(plainDir, { recursive: true, mode: 0o700 });
  const plainRuns: MeasuredRun[] = [];
  const plainBytes: number[] = [];
  const toolRuns: MeasuredRun[] = [];
  const toolBytes: number[] = [];
  const toolSteps: Record<string, number>[] = [];
  let toolProblem: string | undefined;
  let toolDump: BackupOutcome['toolDump'];
  const plainFile = join(plainDir, 'obexal-plain.dump');
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    if (withBaseline) {
      await rm(plainFile, { force: true });
      const { run, bytes } = await plainDump(ctx, target.url, plainFile);
      plainRuns.push(run);
      plainBytes.push(bytes);
      ctx.say(`  pg_dump -Fc (gzip 6) #${i}: ${run.seconds.toFixed(1)} s, ${(bytes / 1e6).toFixed(1)} MB`);
    }
    if (toolProblem) continue;
    try {
      const result = await toolBackup(ctx, target);
      toolRuns.push(result.run);
      toolBytes.push(result.bytes);
      toolSteps.push(result.steps);
      toolDump = { name: result.name, path: join(target.backupDir, result.name) };
      ctx.say(
        `  obexal-runbook backup #${i}: ${result.run.seconds.toFixed(1)} s, ${(result.bytes / 1e6).toFixed(1)} MB, tool RSS ${(result.run.memory.rootPeakBytes / 1e6).toFixed(0)} MB`,
      );
    } catch (error) {
      toolProblem = (error as Error).message;
      ctx.errors.push(`backup (${target.label}): ${toolProblem}`);
      ctx.say(`  obexal-runbook backup failed: ${toolProblem.split('\n')[0]}`);
    }
  }
  const outcome: BackupOutcome = {
    tool:
      toolRuns.length > 0
        ? summarize(toolRuns, { bytes: toolBytes, steps: toolSteps })
        : { notMeasured: `the backup runbook failed: ${toolProblem?.split('\n')[0] ?? 'unknown'}` },
  };
  if (toolDump) outcome.toolDump = toolDump;
  if (withBaseline) {
    outcome.baseline = summarize(plainRuns, { bytes: plainBytes });
    outcome.plainFile = plainFile;
  }
  return outcome;
}
