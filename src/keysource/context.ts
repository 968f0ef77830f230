/** What a key source needs from a step's context: settings, the person (interactor), the run's secrets. */
import type { ActionContext } from '../engine/action.js';

export type KeySourceContext = Pick<ActionContext, 'settings' | 'interactor' | 'secrets' | 'signal' | 'output'>;

/** Names under which obtained secrets live in `ctx.secrets` for the rest of the run. */
export const SECRET_NAMES = {
  identity: 'BACKUP_IDENTITY',
  currentKey: 'ENCRYPTION_KEY',
  oldKeys: 'ENCRYPTION_KEY_OLD',
} as const;

/** How many times a masked prompt is offered before the step gives up. */
export const PROMPT_ATTEMPTS = 3;
