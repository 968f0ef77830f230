/**
 * The drill server when none is configured: a throwaway PostgreSQL cluster made on the spot with this host's
 * server programs (initdb, pg_ctl; as root they run as the `postgres` user), on 127.0.0.1 and a free port, in a
 * private folder, stopped and removed by the drill's teardown on every path (and by the cluster registry if the
 * process exits first). Durable-write settings stay on, so that the measured RTO is a real server's, not a
 * benchmark's. A cluster is never production, so the separation check has nothing to compare.
 */
import { UsageError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import type { Cluster } from '../pg/cluster.js';

export type DrillServerChoice = 'auto' | 'configured' | 'cluster';
export type DrillServerMode = 'configured' | 'cluster';

/** Writes as a production server does: a drill measures a recovery, not a benchmark. */
export const DURABLE_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
};

/** `auto`: DRILL_DATABASE_URL when it is set, else a throwaway cluster. */
export function drillServerMode(settings: Pick<Settings, 'get'>, choice: DrillServerChoice): DrillServerMode {
  if (choice === 'cluster') return 'cluster';
  if (choice === 'configured' || settings.get('DRILL_DATABASE_URL')) {
    if (!settings.get('DRILL_DATABASE_URL')) {
      throw new UsageError(
        'the drill server is set to "configured" and DRILL_DATABASE_URL is not set',
        'set DRILL_DATABASE_URL to a server where the drill may create its throwaway database, or ' +
          'answer server: auto to make a throwaway cluster',
      );
    }
    return 'configured';
  }
  return 'cluster';
}

/** Checks, before anything is created, that this host can make a cluster; returns the server programs' major version.
 * */
export async function assertClusterPossible(): Promise<number> {
  const { findProgram, programMajor } = await import('../pg/programs.js');
  const initdb = await findProgram('initdb');
  await findProgram('pg_ctl');
  return programMajor(initdb);
}

export async function startDrillCluster(): Promise<Cluster> {
  const { startCluster } = await import('../pg/cluster.js');
  return startCluster({ settings: { ...DURABLE_SETTINGS } });
}

export const CLUSTER_LABEL = 'a throwaway cluster made on the spot';
