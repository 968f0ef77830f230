/**
 * The rollback's own actions (runbooks/rollback.yaml): the plan (which migrations, how compatible, which
 * pre-deploy backup), the redeploy of the previous image, and the summary. The restore branch reuses the restore
 * actions and the live checks reuse the drill's, by name in the YAML. Heavy modules load inside `run`.
 */
import { z } from 'zod';
import { isDuration, parseDuration } from '../core/duration.js';
import type { AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';

const duration = z.string().refine(isDuration, { message: 'expected a duration such as 2m' });

export const rollbackPlanAction = defineAction({
  name: 'rollback.plan',
  description:
    'which migrations the deployment applied, whether version N-1 runs on them, and the pre-deploy ' +
    'backup (reason pre-migration)',
  readOnly: true,
  // Not re-run on resume: after the restore the database no longer shows the breaking migration, and the
  // decision taken at the start (journaled) must stand for the whole run.
  params: z
    .object({
      previousImage: z.string().min(1),
      migrations: z.string().optional(),
      deployedAt: z.string().optional(),
      target: z.string().optional(),
      compatibilityFile: z.string().optional(),
    })
    .strict(),
  describe: (p) => `decide how to roll back to ${p.previousImage}: redeploy only, or restore the pre-deploy dump first`,
  async run(params, ctx) {
    const { runPlan } = await import('./plan.js');
    return runPlan(params, ctx);
  },
});

export const rollbackDeployAction = defineAction({
  name: 'rollback.deploy',
  description: 'deploy the previous image through APP_DEPLOY_COMMAND ({image}) and wait for AUTH_SERVICE_URL',
  params: z
    .object({
      image: z.string().min(1),
      url: z.string().optional(),
      after: z.enum(['nothing', 'restore']).default('nothing'),
      readyTimeout: duration.default('2m'),
    })
    .strict(),
  describe: (p) => `deploy ${p.image} (APP_DEPLOY_COMMAND) and wait until the auth-service answers`,
  async run(params, ctx) {
    const { runDeploy } = await import('./deploy.js');
    return runDeploy({ ...params, readyTimeoutMs: parseDuration(params.readyTimeout) }, ctx);
  },
});

export const rollbackSummaryAction = defineAction({
  name: 'rollback.summary',
  description:
    'what the rollback did, and what is left to do (the kept database, accounts to erase again, the fix forward)',
  params: z
    .object({
      image: z.string(),
      branch: z.enum(['redeploy', 'restore']),
      migrations: z.array(z.object({ version: z.number(), compatibility: z.string() }).passthrough()).default([]),
      dump: z.string().nullish(),
      keptAs: z.string().nullish(),
    })
    .strict(),
  describe: (p) => `summarize the rollback to ${p.image}`,
  async run(params, ctx) {
    const versions = params.migrations.map((m) => `${m.version} (${m.compatibility})`).join(', ') || 'none';
    const lines =
      params.branch === 'redeploy'
        ? [
            `${params.image} runs again; the database was not touched and keeps migration(s) ${versions}`,
            'the additive migrations stay applied: the next deployment of the newer version finds ' +
              'them done (migrations are forward-only)',
          ]
        : [
            `${params.image} runs again on the restored pre-deploy dump ${params.dump ?? ''}; ` +
              `migration(s) ${versions} are undone with it`,
            'data written between the pre-deploy backup and the restore is lost (the restore step ' +
              'above shows the window)',
            ...(params.keptAs
              ? [
                  `the migrated database is kept as ${params.keptAs}: personal data under ` +
                    `retention; drop it once nothing more is needed from it`,
                ]
              : []),
            'before deploying the newer version again, fix the breaking migration (forward-only: a ' +
              'new migration, never an edit of the applied one)',
          ];
    for (const line of lines) ctx.output(line, 'info');
    return {
      message:
        params.branch === 'redeploy'
          ? `rolled back to ${params.image} (redeploy only)`
          : `rolled back to ${params.image} (pre-deploy dump restored)`,
    };
  },
});

export const rollbackActions: readonly AnyAction[] = [rollbackPlanAction, rollbackDeployAction, rollbackSummaryAction];
