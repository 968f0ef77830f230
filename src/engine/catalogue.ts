/**
 * The actions a run may name, handed to the engine and the runbook loader by whoever builds the program (the
 * command line's action-catalogue.ts; a test's fakes). The engine never imports an action module itself.
 */
import type { AnyAction } from './action.js';

export interface ActionCatalogue {
  find(name: string): AnyAction | undefined;
  /** Every action, sorted by name. */
  list(): readonly AnyAction[];
}

export function createActionCatalogue(...groups: readonly (readonly AnyAction[])[]): ActionCatalogue {
  const byName = new Map<string, AnyAction>();
  for (const action of groups.flat()) {
    if (byName.has(action.name)) throw new Error(`two actions are named "${action.name}"`);
    byName.set(action.name, action);
  }
  const sorted = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { find: (name) => byName.get(name), list: () => sorted };
}
