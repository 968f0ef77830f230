/**
 * pg_dump's compression levels on this data (time and size), so that BACKUP_COMPRESSION's default is chosen by
 * figures. Every repetition dumps at each level in turn (6, pg_dump's default, included), so that a change of load
 * on the machine falls on every level alike instead of on whichever level ran at that moment.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import { median, round } from '../stats.js';
import type { CompressionResult } from '../types.js';
import { plainDump } from './plain-commands.js';

export const COMPRESSION_LEVELS = [0, 1, 4, 6] as const;

export async function measureCompression(ctx: BenchContext): Promise<CompressionResult[]> {
  const dir = join(ctx.dbs.workDir, 'compression');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const samples = new Map<number, number[]>(COMPRESSION_LEVELS.map((level) => [level, []]));
  const sizes = new Map<number, number[]>(COMPRESSION_LEVELS.map((level) => [level, []]));
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    const line: string[] = [];
    for (const level of COMPRESSION_LEVELS) {
      const file = join(dir, `level-${level}.dump`);
      const { run, bytes } = await plainDump(ctx, ctx.dbs.main.url, file, level);
      await rm(file, { force: true });
      samples.get(level)!.push(round(run.seconds, 3));
      sizes.get(level)!.push(bytes);
      line.push(`-Z${level} ${run.seconds.toFixed(1)} s ${(bytes / 1e6).toFixed(1)} MB`);
    }
    ctx.say(`  #${i}: ${line.join(', ')}`);
  }
  return COMPRESSION_LEVELS.map((level) => ({
    level,
    seconds: round(median(samples.get(level)!), 3),
    samples: samples.get(level)!,
    bytes: median(sizes.get(level)!),
  }));
}
