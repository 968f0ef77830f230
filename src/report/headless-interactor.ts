/**
 * The headless Interactor: answers from the answers file, flags and environment, and fails at once with
 * exit code 3 naming what is missing. It never reads standard input, so cron and CI never hang.
 */
import { AnswerRequiredError, InvalidAnswerError } from '../core/errors.js';
import type { ChecklistAnswer, Interactor } from '../engine/interactor.js';
import type { ChecklistRequest, ChoiceRequest, ConfirmRequest, SecretRequest, TextRequest } from '../engine/events.js';

export interface HeadlessAnswers {
  /** From --answers <file>: answer name → value. */
  answers: Record<string, string>;
  /** --yes: accept defaults and non-destructive confirmations (never a destruction). */
  yes: boolean;
  /** CONFIRM and CONFIRM_TARGET as this invocation's environment holds them. */
  confirm: string | undefined;
  confirmTarget: string | undefined;
}

export class HeadlessInteractor implements Interactor {
  readonly mode = 'headless' as const;
  constructor(private readonly given: HeadlessAnswers) {}

  async choose(request: ChoiceRequest): Promise<string> {
    const answer = this.given.answers[request.name] ?? (this.given.yes ? request.default : undefined);
    if (answer === undefined) {
      throw new AnswerRequiredError(
        request.name,
        `"${request.message}" needs an answer (${request.name})`,
        `answer it in --answers: ${request.name}: ${request.options.map((o) => o.value).join(' | ')}`,
      );
    }
    if (!request.options.some((o) => o.value === answer)) {
      throw new InvalidAnswerError(
        request.name,
        answer,
        `"${answer}" is not an option for ${request.name}`,
        `one of: ${request.options.map((o) => o.value).join(', ')}`,
      );
    }
    return answer;
  }

  async text(request: TextRequest): Promise<string> {
    const answer = this.given.answers[request.name] ?? (this.given.yes ? request.default : undefined);
    if (answer === undefined)
      throw new AnswerRequiredError(
        request.name,
        `"${request.message}" needs an answer (${request.name})`,
        `answer it in --answers: ${request.name}: <text>`,
      );
    return answer;
  }

  async secret(request: SecretRequest): Promise<never> {
    // Secrets never come from an answers file (such files end up in places secrets must not).
    throw new AnswerRequiredError(
      request.name,
      `the secret "${request.name}" is required: ${request.message}`,
      'provide it through its environment variable or its vault command (see `obexal-runbook config`)',
    );
  }

  async confirm(request: ConfirmRequest): Promise<void> {
    if (!request.destructive) {
      const answer = this.given.answers[request.name];
      if (this.given.yes || answer === 'yes' || answer === request.token) return;
      throw new AnswerRequiredError(
        request.name,
        `"${request.message}" needs a confirmation (${request.name})`,
        `pass --yes, or answer it in --answers: ${request.name}: yes`,
      );
    }
    if (this.given.confirm !== 'yes') {
      throw new AnswerRequiredError(
        request.name,
        `refusing to change ${request.token} without CONFIRM=yes: nothing was changed`,
        `set CONFIRM=yes in the environment of this command to confirm the destruction ` +
          `of ${request.token} (--yes never confirms a destruction)`,
      );
    }
    // A CONFIRM_TARGET that names another target is a mistyped confirmation, even for a target named here.
    if (request.targetNamedByInvocation && this.given.confirmTarget === undefined) return;
    if (this.given.confirmTarget === request.token) return;
    throw new AnswerRequiredError(
      request.name,
      this.given.confirmTarget === undefined
        ? `the target ${request.token} comes from the configuration file, not from this invocation: ` +
            `CONFIRM=yes alone does not confirm it; nothing was changed`
        : `CONFIRM_TARGET=${this.given.confirmTarget} does not match the target ${request.token}; nothing was changed`,
      this.given.confirmTarget === undefined
        ? `set CONFIRM_TARGET=${request.token} as well, or name the target with DATABASE_URL in this ` +
            `command's environment`
        : `check which database you mean to replace: set CONFIRM_TARGET=${request.token} if it is ` +
            `this one, or unset CONFIRM_TARGET`,
    );
  }

  async checklist(request: ChecklistRequest): Promise<ChecklistAnswer> {
    const answer = this.given.answers[request.name];
    if (answer === undefined) {
      throw new AnswerRequiredError(
        request.name,
        `checklist item "${request.item}" needs an answer (${request.name})`,
        `answer it in --answers: ${request.name}: done (or: not done)`,
      );
    }
    const normalized = answer.trim().toLowerCase();
    return { done: ['done', 'yes', 'true', 'x'].includes(normalized) };
  }
}
