/**
 * Every action a runbook step can name, built in this one place and passed to the engine and the runbook loader.
 * Action modules keep heavy libraries (AWS SDK, pg) behind dynamic imports inside `run`, so that building the
 * catalogue to validate a runbook stays fast. Prefix `x`'s list is `xActions` in `src/x/actions.ts` (the generic,
 * unprefixed actions: `src/generic/actions.ts`); a new prefix's list is added here.
 */
import { createActionCatalogue, type ActionCatalogue } from '../engine/catalogue.js';
import { genericActions } from '../generic/actions.js';
import { backupActions } from '../backup/actions.js';
import { bucketActions } from '../bucket/actions.js';
import { drillActions } from '../drill/actions.js';
import { erasActions } from '../eras/actions.js';
import { logosActions } from '../logos/actions.js';
import { pitrActions } from '../pitr/actions.js';
import { recordsActions } from '../records/actions.js';
import { restoreActions } from '../restore/actions.js';
import { retentionActions } from '../retention/actions.js';
import { rollbackActions } from '../rollback/actions.js';
import { rotationActions } from '../rotation/actions.js';

let catalogue: ActionCatalogue | undefined;

export function actionCatalogue(): ActionCatalogue {
  catalogue ??= createActionCatalogue(
    genericActions,
    backupActions,
    bucketActions,
    drillActions,
    erasActions,
    logosActions,
    pitrActions,
    recordsActions,
    restoreActions,
    retentionActions,
    rollbackActions,
    rotationActions,
  );
  return catalogue;
}
