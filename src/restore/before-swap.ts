import { messageOf, RunbookError, StepFailedError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';

/** A failure or a stop before the swap: says the target was not replaced, and throws what the engine expects. */
export function failBeforeSwap(ctx: ActionContext, error: unknown, untouched: string): never {
  if (ctx.signal.aborted) {
    ctx.output(`stopped before the swap: ${untouched}`, 'warn');
    throw error;
  }
  if (error instanceof RunbookError) throw new StepFailedError(`${error.message}\n  ${untouched}`, error.hint, error);
  throw new StepFailedError(
    `${messageOf(error)}: ${untouched}`,
    'read the messages above; the old database is as it was',
    error,
  );
}
