/** The `backup.*` actions (the backup runbook's other steps are `eras.*`, `logos.*`, `bucket.*`, `retention.*`). */
import type { AnyAction } from '../engine/action.js';
import { backupDumpAction } from './actions/dump.js';
import { backupLockAction } from './actions/lock.js';
import { backupManifestAction } from './actions/manifest.js';
import { backupPreflightAction } from './actions/preflight.js';

export const backupActions: readonly AnyAction[] = [
  backupPreflightAction,
  backupLockAction,
  backupDumpAction,
  backupManifestAction,
];
