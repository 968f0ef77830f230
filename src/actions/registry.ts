/**
 * Every action a runbook step can name. Action modules keep heavy libraries (AWS SDK, pg) behind dynamic
 * imports inside `run`, so that loading the registry to validate a runbook stays fast.
 */
import type { AnyAction } from '../engine/action.js';
import { genericActions } from './generic/index.js';
import { backupActions } from '../backup/actions/index.js';
import { bucketActions } from '../backup/actions-bucket.js';
import { drillActions } from '../drill/actions/index.js';
import { restoreActions } from '../restore/actions.js';
import { rotationActions } from '../rotation/actions.js';
import { rollbackActions } from '../rollback/actions.js';
import { pitrActions } from '../pitr/actions.js';

const actions = new Map<string, AnyAction>();

export function registerActions(list: readonly AnyAction[]): void {
  for (const action of list) actions.set(action.name, action);
}

registerActions(genericActions);
registerActions(backupActions);
registerActions(bucketActions);
registerActions(drillActions);
registerActions(restoreActions);
registerActions(rotationActions);
registerActions(rollbackActions);
registerActions(pitrActions);

export function findAction(name: string): AnyAction | undefined {
  return actions.get(name);
}

export function listActions(): AnyAction[] {
  return [...actions.values()].sort((a, b) => a.name.localeCompare(b.name));
}
