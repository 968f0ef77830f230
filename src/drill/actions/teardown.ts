/**
 * drill.teardown (an `always` step: it runs after a pass, a failure and Ctrl+C): stop the auth-service, drop the
 * throwaway database unless kept, stop and remove the throwaway cluster when the drill made one, remove the
 * decrypted dump. Each part is idempotent and also registered with
 * `ctx.onCleanup`, so that a run stopped where no step can run still cleans up. Only files inside this run's
 * private folder are removed (an unencrypted dump's "plaintext" is the backup itself, never deleted).
 */
import { rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { messageOf } from '../../core/errors.js';
import { defineAction, type ActionContext } from '../../engine/action.js';
import type { DrillRunState } from '../session.js';
import { keepParam } from './database.js';

function inPrivateFolderOf(runId: string, path: string): boolean {
  return basename(dirname(path)).startsWith(`obexal-run-${runId.replace(/[^a-z0-9-]/gi, '')}-`);
}

/** Drops the drill database unless kept; says what became of it. */
async function dropDatabase(
  state: DrillRunState,
  keep: boolean,
  ctx: ActionContext,
  { done, problems }: { done: string[]; problems: string[] },
): Promise<string> {
  const db = state.database;
  if (!db) return 'not created';
  if (keep || db.keep) {
    db.keep = true;
    done.push(`database ${db.name} KEPT (keep: yes): it holds a copy of production data, drop it when done`);
    ctx.output(`the drill database ${db.name} is kept as asked; drop it when done: DROP DATABASE "${db.name}"`, 'warn');
    return 'kept';
  }
  if (db.dropped) return 'dropped';
  const { dropDrillDatabase } = await import('../target.js');
  try {
    const existed = await dropDrillDatabase(db.server, db.name);
    db.dropped = true;
    done.push(existed ? `database ${db.name} dropped` : `database ${db.name} was already gone`);
    return 'dropped';
  } catch (error) {
    problems.push(`the drill database ${db.name} could not be dropped: ${messageOf(error)}`);
    return 'drop failed';
  }
}

export const drillTeardownAction = defineAction({
  name: 'drill.teardown',
  description: 'stop the drill auth-service, drop the throwaway database (unless kept), remove the decrypted dump',
  params: z.object({ files: z.array(z.string().optional()).default([]), keep: keepParam }).strict(),
  describe: (p) =>
    `stop the auth-service, ${keepParam.safeParse(p.keep).data ? 'KEEP' : 'drop'} the drill ` +
    `database, stop and remove the throwaway cluster when the drill made one` +
    `${p.files?.length ? ', remove the decrypted dump' : ''}`,
  async run(params, ctx) {
    const { drillState } = await import('../session.js');
    const state = drillState(ctx.runId);
    state.sink = (line, stream) => ctx.output(line, stream);
    const done: string[] = [];
    const problems: string[] = [];
    const teardown: Record<string, unknown> = {};

    if (state.service) {
      const pid = state.service.service.pid;
      await state.service.service.stop();
      done.push(`auth-service stopped (pid ${pid})`);
      teardown.authService = 'stopped';
    } else {
      teardown.authService = 'not started';
    }

    teardown.database = await dropDatabase(state, params.keep, ctx, { done, problems });

    const cluster = state.cluster;
    if (cluster) {
      try {
        await cluster.stop();
        done.push(`throwaway cluster stopped and its folder removed (${cluster.rootDir})`);
        teardown.cluster = 'stopped';
      } catch (error) {
        problems.push(`the throwaway cluster could not be stopped: ${messageOf(error)}`);
        teardown.cluster = 'stop failed';
      }
    }

    const removed: string[] = [];
    for (const file of params.files) {
      if (!file) continue;
      if (!inPrivateFolderOf(ctx.runId, file)) continue;
      if (!(await stat(file).catch(() => undefined))) continue;
      await rm(file, { force: true });
      removed.push(basename(file));
    }
    if (removed.length > 0) done.push(`decrypted file(s) removed: ${removed.join(', ')}`);
    teardown.filesRemoved = removed;

    for (const line of done) ctx.output(line);
    if (problems.length > 0) {
      return {
        outcome: 'failed',
        message: problems.join('; '),
        hint:
          'remove it by hand (the drill database holds a copy of production data): DROP DATABASE on ' +
          'the drill server, or stop the cluster and remove its folder',
        data: { record: { teardown } },
      };
    }
    return { message: done.join('; ') || 'nothing to tear down', data: { record: { teardown } } };
  },
});
