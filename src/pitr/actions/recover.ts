/**
 * Point-in-time recovery steps (runbooks/pitr-restore.yaml, runbooks/pitr-drill.yaml): recover into a throwaway
 * cluster, export the one database for the ordinary confirmed restore, tear down.
 */
import { z } from 'zod';
import { defineAction } from '../../engine/action.js';
import { keepParam } from '../../drill/actions/database.js';

export const pitrRecoverAction = defineAction({
  name: 'pitr.recover',
  description: 'point-in-time recovery into a throwaway cluster (the verified copy): to a time, latest, or a backup',
  params: z.object({ to: z.string().default('latest'), keep: keepParam, drill: z.boolean().default(false) }).strict(),
  describe: (p) =>
    `recover the cluster to ${p.to || 'latest'} into a throwaway cluster on loopback (refused when ` +
    `the repository cannot reach it)`,
  async run(params, ctx) {
    const { runRecover } = await import('../recover-run.js');
    return runRecover(params, ctx);
  },
});

export const pitrExportAction = defineAction({
  name: 'pitr.export',
  description: 'pg_dump the database from the recovered cluster into the private folder (for the confirmed restore)',
  params: z.object({ database: z.string().min(1) }).strict(),
  describe: () => 'pg_dump --format=custom the database from the recovered cluster into the private folder',
  async run(params, ctx) {
    const { exportDatabase } = await import('../recover-run.js');
    return exportDatabase(params.database, ctx);
  },
});

export const pitrTeardownAction = defineAction({
  name: 'pitr.teardown',
  description: 'stop the recovered cluster and remove its folder (unless kept)',
  params: z.object({ keep: keepParam }).strict(),
  describe: (p) =>
    keepParam.safeParse(p.keep).data
      ? 'KEEP the recovered cluster running'
      : 'stop the recovered cluster and remove its folder',
  async run(params, ctx) {
    const { teardown } = await import('../recover-run.js');
    return teardown(params.keep, ctx);
  },
});
