/** The backup runbook's own actions (the bucket and retention actions are registered by their modules). */
import type { AnyAction } from '../../engine/action.js';
import { erasEnsureAction } from '../../eras/action.js';
import { backupDumpAction } from './dump.js';
import { backupLockAction } from './lock.js';
import { logosMirrorAction } from './logos.js';
import { backupManifestAction } from './manifest.js';
import { backupPreflightAction } from './preflight.js';

export const backupActions: readonly AnyAction[] = [
  backupPreflightAction,
  erasEnsureAction,
  backupLockAction,
  backupDumpAction,
  backupManifestAction,
  logosMirrorAction,
];
