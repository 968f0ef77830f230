/**
 * drill.restore: pg_restore of the verified dump into the throwaway database, with the restore module's runner
 * (progress weighted by the manifest's row counts, parallel jobs when the archive is large). A drill restores
 * into an empty database it created itself, so none of a production restore's machinery applies (no swap, no
 * application stop, no safety dump, no confirmation). Owners and grants are left out by default: the drill
 * server need not have production's roles. The decrypted file is removed as soon as pg_restore is done.
 */
import { rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { defineAction } from '../../engine/action.js';
import { VerifiedDumpSchema } from '../../restore/types.js';

export const drillRestoreAction = defineAction({
  name: 'drill.restore',
  description: 'pg_restore the verified dump into the throwaway drill database',
  params: z
    .object({
      dump: VerifiedDumpSchema,
      database: z.string().min(1),
      jobs: z.union([z.literal('auto'), z.number().int().min(1).max(32)]).default('auto'),
      noOwner: z.boolean().default(true),
      removePlaintext: z.boolean().default(true),
    })
    .strict(),
  // Under --dry-run the parameters come unvalidated, and the dump is not verified yet.
  describe: (p) =>
    `pg_restore ${p.dump?.name ?? 'the verified dump'} into the drill ` +
    `database${p.noOwner === false ? '' : ' (no owners, no grants)'}`,
  async run(params, ctx) {
    const [{ findPgRestore }, { chooseJobs, runPgRestore }, { parseConnectionString }] = await Promise.all([
      import('../../restore/archive.js'),
      import('../../restore/pg-restore-run.js'),
      import('../../pg/target.js'),
    ]);
    const target = parseConnectionString(params.database);
    const program = await findPgRestore();
    const jobs = chooseJobs(params.jobs, params.dump.plaintextSize, false);
    ctx.output(`pg_restore ${params.dump.name} into ${target.label} with ${jobs} job(s)`);
    const { durationMs } = await runPgRestore({
      program,
      file: params.dump.plaintextPath,
      target,
      args: params.noOwner ? ['--no-owner', '--no-privileges'] : [],
      jobs,
      totalItems: params.dump.archive.entries,
      rowCounts: params.dump.manifest?.rowCounts ?? {},
      signal: ctx.signal,
      onProgress: (update) => ctx.progress(update),
      onLine: (line) => ctx.output(line, 'stderr'),
    });
    const restoredAt = new Date().toISOString();
    // Only a copy in this run's private folder: an unencrypted dump's "plaintext" is the backup itself.
    const privateCopy = basename(dirname(params.dump.plaintextPath)).startsWith(
      `obexal-run-${ctx.runId.replace(/[^a-z0-9-]/gi, '')}-`,
    );
    if (params.removePlaintext && privateCopy) {
      await rm(params.dump.plaintextPath, { force: true });
      ctx.output('the decrypted dump was removed from the private folder');
    }
    return {
      message: `restored into ${target.label} in ${(durationMs / 1000).toFixed(1)}s (${jobs} job(s))`,
      data: {
        restoredAt,
        database: target.label,
        pgRestoreMs: durationMs,
        jobs,
        record: { drillRestore: { database: target.label, pgRestoreMs: durationMs, jobs, restoredAt } },
      },
    };
  },
});
