/**
 * drill.create-database: the throwaway `obexal_drill_<run id>` on the drill server (or in a throwaway cluster it
 * makes first, `server: cluster`), with its drop (and the cluster's stop) registered at once for every exit path
 * of the run (unless `keep: yes`). Its URL (the drill server's credentials) is step
 * data for the restore steps; the password in it is a registered secret, so journal and record show it redacted.
 */
import { z } from 'zod';
import { defineAction, type ActionContext } from '../../engine/action.js';

const KEPT = '; it will be KEPT after the drill (keep: yes): drop it yourself, it holds a copy of production data';

/** A throwaway cluster for the drill database, stopped as the run ends; what the record says of it. */
async function startCluster(ctx: ActionContext): Promise<Record<string, unknown>> {
  const [{ drillState }, { startDrillCluster }] = await Promise.all([
    import('../session.js'),
    import('../throwaway-cluster.js'),
  ]);
  const cluster = await startDrillCluster();
  drillState(ctx.runId).cluster = cluster;
  // Registered first, so that it runs after the database's drop (cleanups run last first).
  ctx.onCleanup(() => cluster.stop(), 'stop the throwaway drill cluster');
  ctx.output(
    `throwaway cluster: PostgreSQL ${cluster.major} on 127.0.0.1:${cluster.port} ` +
      `(initdb ${Math.round(cluster.timings.initdbMs)} ms, ` +
      `start ${Math.round(cluster.timings.startMs)} ms)`,
  );
  return { major: cluster.major, port: cluster.port, postmasterPid: cluster.postmasterPid, folder: cluster.rootDir };
}

export const keepParam = z
  .union([z.boolean(), z.string()])
  .default(false)
  .transform(
    (value) =>
      value === true || (typeof value === 'string' && ['yes', 'true', 'keep'].includes(value.trim().toLowerCase())),
  );

export const drillCreateDatabaseAction = defineAction({
  name: 'drill.create-database',
  description: 'create the throwaway drill database (dropped on every exit path unless kept)',
  params: z
    .object({
      encoding: z.string().optional(),
      keep: keepParam,
      server: z.enum(['configured', 'cluster']).default('configured'),
    })
    .strict(),
  describe: (p) =>
    p.server === 'cluster'
      ? 'make a throwaway cluster and create obexal_drill_<run id> in it'
      : 'create obexal_drill_<run id> on the server of DRILL_DATABASE_URL',
  async run(params, ctx) {
    const [
      { drillServerTarget, drillDatabaseName, createDrillDatabase, dropDrillDatabase, targetFor, urlOf },
      { drillState },
    ] = await Promise.all([import('../target.js'), import('../session.js')]);
    const name = drillDatabaseName(ctx.runId);
    const state = drillState(ctx.runId);
    const clusterRecord = params.server === 'cluster' ? await startCluster(ctx) : undefined;
    const server = drillServerTarget(
      state.cluster ? state.cluster.url('postgres') : ctx.settings.require('DRILL_DATABASE_URL'),
    );
    const created = await createDrillDatabase(server, name, {
      ...(params.encoding ? { encoding: params.encoding } : {}),
      signal: ctx.signal,
    });
    state.database = { server, name, keep: params.keep, dropped: false };
    ctx.onCleanup(async () => {
      const db = state.database;
      if (!db || db.keep || db.dropped) return;
      await dropDrillDatabase(db.server, db.name);
      db.dropped = true;
    }, `drop the drill database ${name}`);
    const target = targetFor(server, name);
    ctx.output(
      `created ${created.label} ` +
        `(${created.encoding})${params.keep ? KEPT : '; it is dropped when the drill ends, whatever happens'}`,
    );
    return {
      message: `created ${created.label}`,
      data: {
        url: urlOf(target),
        label: target.label,
        database: name,
        keep: params.keep,
        ...(clusterRecord ? { cluster: clusterRecord } : {}),
        record: {
          drillDatabase: {
            label: target.label,
            encoding: created.encoding,
            keep: params.keep,
            ...(clusterRecord ? { cluster: clusterRecord } : {}),
          },
        },
      },
    };
  },
});
