/**
 * What the drill's steps share in memory within one process: the running auth-service and where its output
 * goes now (the step that is running). Nothing here is journaled; credentials and session tokens live in the
 * run's secret store (`ctx.secrets`), registered with the redaction layer.
 */
import type { Cluster } from '../pg/cluster.js';
import type { PgTarget } from '../pg/target.js';
import type { DrillService } from './auth-service.js';

export interface DrillDatabaseState {
  server: PgTarget;
  name: string;
  keep: boolean;
  dropped: boolean;
}

export interface DrillRunState {
  database?: DrillDatabaseState;
  service?: DrillService;
  /** The throwaway cluster the drill made (no DRILL_DATABASE_URL); stopped by the teardown after the drop. */
  cluster?: Cluster;
  /** The current step's output function: the service's lines land under the step that is running. */
  sink?: (line: string, stream: 'stdout' | 'stderr') => void;
}

const runs = new Map<string, DrillRunState>();

export function drillState(runId: string): DrillRunState {
  let state = runs.get(runId);
  if (!state) {
    state = {};
    runs.set(runId, state);
  }
  return state;
}

export function forgetDrillState(runId: string): void {
  runs.delete(runId);
}

/** Names of the drill's values in `ctx.secrets`. */
export const DRILL_SECRETS = {
  password: 'DRILL_PASSWORD',
  totpSecret: 'DRILL_TOTP_SECRET',
  mfaToken: 'drill.mfa-token',
  sessionCookie: 'drill.session-cookie',
} as const;
