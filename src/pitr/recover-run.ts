/** The work behind pitr.recover, pitr.export and pitr.teardown; the recovered cluster lives for the run only. */
import { join } from 'node:path';
import { StepFailedError } from '../core/errors.js';
import { baseChildEnv, runProcess } from '../core/exec.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { drillState } from '../drill/session.js';
import { findProgram } from '../pg/programs.js';
import { childEnvFor, parseConnectionString } from '../pg/target.js';
import { lastArchivedAt, pitrContext } from './context.js';
import { goodBackups, readInfo } from './info.js';
import { recoverIntoThrowawayCluster, type RecoveredCluster } from './recover.js';
import { checkReachable, describeTarget, parseRecoveryTarget } from './window.js';

const recovered = new Map<string, RecoveredCluster>();

export async function runRecover(
  params: { to: string; keep: boolean; drill: boolean },
  ctx: ActionContext,
): Promise<ActionResult> {
  const target = parseRecoveryTarget(params.to);
  const pitr = await pitrContext(ctx, { source: false });
  const info = await readInfo(pitr.runner);
  const backups = goodBackups(info);
  const archivedAt = await lastArchivedAt(pitr.target, ctx.signal);
  const warning = checkReachable(target, backups, archivedAt);
  if (warning) ctx.output(warning, 'warn');
  ctx.output(`recovering to ${describeTarget(target)} from ${backups.length} backup(s) in the repository`);
  const cluster = await recoverIntoThrowawayCluster({
    runner: pitr.runner,
    target,
    sourceUser: pitr.target.user,
    database: pitr.target.database,
    output: (line) => ctx.output(line),
  });
  recovered.set(ctx.runId, cluster);
  if (params.drill) drillState(ctx.runId).cluster = cluster;
  if (!params.keep) ctx.onCleanup(() => cluster.stop(), 'stop the recovered cluster');
  const restoredAt = new Date().toISOString();
  const rpo = cluster.lastReplayedAt;
  const pitrRecord = {
    target: describeTarget(target),
    lastReplayedCommit: rpo,
    backupsInRepository: backups.length,
    lastArchivedAt: archivedAt,
    restoreMs: Math.round(cluster.restoreMs),
  };
  return {
    message:
      `recovered to ${rpo ?? 'an unknown point'} (target ${describeTarget(target)}); copy on ` +
      `127.0.0.1:${cluster.port}`,
    data: {
      url: cluster.url(pitr.target.database),
      database: pitr.target.database,
      port: cluster.port,
      lastReplayedAt: rpo,
      restoredAt,
      // What drill.rto reads as "the dump": its age at restore is the RPO reached.
      dump: { name: `pitr ${describeTarget(target)}`, origin: 'bucket', takenAt: rpo },
      record: { pitr: pitrRecord },
    },
  };
}

export async function exportDatabase(database: string, ctx: ActionContext): Promise<ActionResult> {
  const cluster = recovered.get(ctx.runId);
  if (!cluster)
    throw new StepFailedError(
      'no recovered cluster in this run',
      'run the recovery step first (a resumed run recovers again)',
    );
  const source = parseConnectionString(cluster.url(database));
  const file = join(await ctx.privateDir(), `obexal-pitr-${ctx.runId}.dump`);
  const pgDump = await findProgram('pg_dump');
  await runProcess({
    file: pgDump,
    args: ['--format=custom', '--compress=0', `--file=${file}`],
    env: { ...baseChildEnv(), ...childEnvFor(source) },
    signal: ctx.signal,
    label: 'pg_dump of the recovered database',
    onLine: (line, stream) => ctx.output(line, stream),
  });
  return {
    message: `${database} as of ${cluster.lastReplayedAt ?? '?'} exported for the restore`,
    data: { path: file },
  };
}

export async function teardown(keep: boolean, ctx: ActionContext): Promise<ActionResult> {
  const cluster = recovered.get(ctx.runId);
  if (!cluster) return { message: 'no recovered cluster to stop', outcome: 'skipped' };
  if (keep) {
    ctx.output(
      `the recovered cluster is KEPT on 127.0.0.1:${cluster.port} (data ${cluster.dataDir}); stop ` +
        `it with pg_ctl -D ${cluster.dataDir} stop, then remove ${cluster.rootDir}`,
      'warn',
    );
    return { message: `recovered cluster kept on 127.0.0.1:${cluster.port}` };
  }
  await cluster.stop();
  recovered.delete(ctx.runId);
  return { message: 'recovered cluster stopped and its folder removed' };
}
