/** The drill runbook's actions (DESIGN §2 `drill`), and `records.replicate` that any runbook may use. */
import type { AnyAction } from '../../engine/action.js';
import { drillCheckJwksAction, drillCheckLoginAction, drillCheckMeAction, drillCheckMfaAction } from './checks.js';
import { drillCreateDatabaseAction } from './database.js';
import { drillHistoryAction } from './history.js';
import { drillPickDumpAction } from './pick-dump.js';
import { drillPreflightAction } from './preflight.js';
import { recordsReplicateAction } from './records.js';
import { drillRestoreAction } from './restore.js';
import { drillRtoAction, drillVerdictAction } from './rto.js';
import { drillStartServiceAction } from './service.js';
import { drillTeardownAction } from './teardown.js';

export const drillActions: readonly AnyAction[] = [
  drillHistoryAction,
  drillPreflightAction,
  drillPickDumpAction,
  drillCreateDatabaseAction,
  drillRestoreAction,
  drillStartServiceAction,
  drillCheckJwksAction,
  drillCheckLoginAction,
  drillCheckMfaAction,
  drillCheckMeAction,
  drillRtoAction,
  drillVerdictAction,
  drillTeardownAction,
  recordsReplicateAction,
];
