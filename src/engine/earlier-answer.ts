/**
 * A resumed run keeps the answers of the run it continues (its inputs, the key era chosen…). A different answer is
 * taken only once confirmed in words: on the terminal the operator types `yes` (Enter keeps the run's answer);
 * headless it needs `change-<name>: yes` in --answers, otherwise the run stops with exit 3 before any change.
 */
import { AnswerRequiredError } from '../core/errors.js';
import type { Interactor } from './interactor.js';

export interface ChangedAnswer {
  /** The answer's name (an input, `dump-era`…): the confirmation is asked as `change-<name>`. */
  name: string;
  earlier: string;
  chosen: string;
  /** How a value is named to the operator (an era by its label and fingerprint, never its key). */
  describe?: (value: string) => string;
}

export function changeAnswerName(name: string): string {
  return `change-${name}`;
}

/** The answer the resumed run goes on with: the earlier run's, or the new one once confirmed. */
export async function confirmChangedAnswer(
  interactor: Interactor,
  change: ChangedAnswer,
  signal: AbortSignal,
): Promise<{ value: string; changed: boolean }> {
  const { name, earlier, chosen } = change;
  if (chosen === earlier) return { value: earlier, changed: false };
  const describe = change.describe ?? ((value: string) => (value === '' ? '(empty)' : `"${value}"`));
  const confirmName = changeAnswerName(name);
  // A value described by the caller names itself (an era, a dump); a plain one says which answer it is.
  const subject = change.describe ? '' : ` for ${name}`;
  const message =
    `The run chose ${describe(earlier)}${subject}; use ${describe(chosen)} instead? ` + 'Type yes to change it';
  let typed: string | undefined;
  try {
    const request = { kind: 'text' as const, name: confirmName, message };
    typed = await interactor.text(interactor.mode === 'interactive' ? { ...request, default: 'no' } : request, signal);
  } catch (error) {
    if (!(error instanceof AnswerRequiredError) || interactor.mode !== 'headless') throw error;
    // no `change-<name>` answer headless: the refusal below says how to give it
  }
  if (typed?.trim().toLowerCase() === 'yes') return { value: chosen, changed: true };
  if (interactor.mode === 'interactive') return { value: earlier, changed: false };
  throw new AnswerRequiredError(
    confirmName,
    `${name}: ${describe(chosen)} differs from the answer of the run being resumed (${describe(earlier)}); ` +
      `a resumed run keeps the run's answers: nothing was changed`,
    `to change it, add "${confirmName}: yes" to --answers; to keep the run's, drop the new value ` +
      `(from the command line, the answers file or the environment)`,
  );
}
