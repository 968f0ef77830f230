/** Every PITR action (pgBackRest), for the registry. */
import type { AnyAction } from '../engine/action.js';
import { pitrExportAction, pitrRecoverAction, pitrTeardownAction } from './actions/recover.js';
import {
  pitrArchivingAction,
  pitrBackupAction,
  pitrConfigureAction,
  pitrPreflightAction,
  pitrStanzaAction,
} from './actions/setup.js';

export const pitrActions: readonly AnyAction[] = [
  pitrPreflightAction,
  pitrConfigureAction,
  pitrArchivingAction,
  pitrStanzaAction,
  pitrBackupAction,
  pitrRecoverAction,
  pitrExportAction,
  pitrTeardownAction,
];
