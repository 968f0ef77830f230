/** The drill runbook's actions (DESIGN §2 `drill`). */
import type { AnyAction } from '../engine/action.js';
import {
  drillCheckJwksAction,
  drillCheckLoginAction,
  drillCheckMeAction,
  drillCheckMfaAction,
} from './actions/checks.js';
import { drillCreateDatabaseAction } from './actions/database.js';
import { drillHistoryAction } from './actions/history.js';
import { drillPickDumpAction } from './actions/pick-dump.js';
import { drillPreflightAction } from './actions/preflight.js';
import { drillRestoreAction } from './actions/restore.js';
import { drillRtoAction, drillVerdictAction } from './actions/rto.js';
import { drillStartServiceAction } from './actions/service.js';
import { drillTeardownAction } from './actions/teardown.js';

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
];
