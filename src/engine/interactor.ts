import type { ChecklistRequest, ChoiceRequest, ConfirmRequest, SecretRequest, TextRequest } from './events.js';

export interface ChecklistAnswer {
  done: boolean;
  note?: string;
}

/**
 * The only way a step waits for a person. The Ink implementation renders a prompt; the headless one answers
 * from flags, environment and the answers file and throws `AnswerRequiredError` (exit 3) at once when it
 * cannot: it never waits for input.
 *
 * `confirm` resolves only when the confirmation is valid and throws otherwise (a mistyped token, no
 * `CONFIRM=yes` headless, a target from configuration without `CONFIRM_TARGET`).
 */
export interface Interactor {
  readonly mode: 'interactive' | 'headless';
  choose(request: ChoiceRequest, signal: AbortSignal): Promise<string>;
  text(request: TextRequest, signal: AbortSignal): Promise<string>;
  secret(request: SecretRequest, signal: AbortSignal): Promise<string>;
  confirm(request: ConfirmRequest, signal: AbortSignal): Promise<void>;
  checklist(request: ChecklistRequest, signal: AbortSignal): Promise<ChecklistAnswer>;
}
