/**
 * The dump's own format, on the same data in the same run (issue 14): `pg_dump -Fc -Z4` piped through `age` (the
 * tool's format until zstd), an uncompressed archive compressed by zstd level 1 (the tool's format now, with the
 * zstd command standing for Node's zstd), and a directory-format dump (`pg_dump -Fd -Z4 --jobs=N`, one file per
 * table, written in parallel) packed as a tar stream through `age` into one file, which `age -d | tar x` and a
 * plain `pg_restore -j` still open. Interleaved run by run; the age command-line tool stands for the tool's own
 * encryptor (MEASURED.md: it costs nothing measurable in the pipe), to the practice stack's recipients.
 * Run only with `--only formats` or among all cases; nothing of it is asserted.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { childEnvFor, parseConnectionString } from '../../src/pg/target.js';
import type { BenchContext } from '../context.js';
import { assertSucceeded, runMeasured } from '../measure.js';
import { median, round } from '../stats.js';
import type { FormatResult } from '../types.js';

interface Variant {
  id: string;
  label: string;
  script: (out: string, dir: string) => string;
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

function variants(ctx: BenchContext): Variant[] {
  const dump = quote(ctx.pgDump);
  const recipients = quote(ctx.dbs.stack.env.BACKUP_RECIPIENTS_FILE!);
  const age = `age -R ${recipients}`;
  const jobs = Math.max(2, Math.min(4, availableParallelism()));
  const directory = (j: number) => (out: string, dir: string) =>
    `${dump} --format=directory --compress=4 --jobs=${j} -f ${quote(dir)} && tar -C ${quote(dir)} -cf - . | ${age} > ${quote(out)}`;
  return [
    {
      id: 'custom-z4',
      label: 'pg_dump -Fc -Z4 | age',
      script: (out) => `${dump} --format=custom --compress=4 | ${age} > ${quote(out)}`,
    },
    {
      id: 'custom-z0-zstd1',
      label: 'pg_dump -Fc -Z0 | zstd -1 | age',
      script: (out) => `${dump} --format=custom --compress=0 | zstd -1 -q -c | ${age} > ${quote(out)}`,
    },
    { id: 'directory-z4-j1', label: 'pg_dump -Fd -Z4 -j1, tar | age', script: directory(1) },
    { id: `directory-z4-j${jobs}`, label: `pg_dump -Fd -Z4 -j${jobs}, tar | age`, script: directory(jobs) },
  ];
}

export async function measureFormats(ctx: BenchContext): Promise<FormatResult[]> {
  const work = join(ctx.dbs.workDir, 'formats');
  await mkdir(work, { recursive: true, mode: 0o700 });
  const env = childEnvFor(parseConnectionString(ctx.dbs.main.url));
  const all = variants(ctx);
  const seconds = new Map<string, number[]>(all.map((v) => [v.id, []]));
  const bytes = new Map<string, number[]>(all.map((v) => [v.id, []]));
  for (let i = 1; i <= ctx.options.repetitions; i++) {
    const line: string[] = [];
    for (const variant of all) {
      const out = join(work, `${variant.id}.age`);
      const dir = join(work, `${variant.id}.dir`);
      await rm(dir, { recursive: true, force: true });
      const run = await runMeasured({ file: '/bin/sh', args: ['-c', `set -e; ${variant.script(out, dir)}`], env });
      assertSucceeded(run, variant.label);
      const size = (await stat(out)).size;
      await rm(out, { force: true });
      await rm(dir, { recursive: true, force: true });
      seconds.get(variant.id)!.push(round(run.seconds, 3));
      bytes.get(variant.id)!.push(size);
      line.push(`${variant.label} ${run.seconds.toFixed(1)} s ${(size / 1e6).toFixed(1)} MB`);
    }
    ctx.say(`  #${i}: ${line.join('; ')}`);
  }
  return all.map((v) => ({
    id: v.id,
    label: v.label,
    seconds: round(median(seconds.get(v.id)!), 3),
    samples: seconds.get(v.id)!,
    bytes: median(bytes.get(v.id)!),
  }));
}
