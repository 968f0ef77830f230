/**
 * The interactive Interactor: every question goes into a PromptStore that the Ink tree renders. What counts as
 * a valid answer is decided here, not in the components (which only show the refusal and let the operator retry).
 */
import { AnswerRequiredError } from '../core/errors.js';
import { addSecret, redact } from '../core/redact.js';
import type { ChecklistRequest, ChoiceRequest, ConfirmRequest, SecretRequest, TextRequest } from '../engine/events.js';
import type { ChecklistAnswer, Interactor } from '../engine/interactor.js';
import { PromptStore, type Verdict } from './prompt-store.js';

const accept = <T>(value: T): Verdict<T> => ({ accepted: true, value });
const refuse = <T>(reason: string): Verdict<T> => ({ accepted: false, reason });

function notAnswered(name: string): () => Error {
  return () => new AnswerRequiredError(name, `no answer given for ${name}`, 'run again and answer the prompt');
}

export class InkInteractor implements Interactor {
  readonly mode = 'interactive' as const;

  constructor(readonly prompts: PromptStore = new PromptStore()) {}

  choose(request: ChoiceRequest, signal: AbortSignal): Promise<string> {
    return this.prompts.ask(request, signal, {
      judge: (value) =>
        request.options.some((option) => option.value === value)
          ? accept(value)
          : refuse(`choose one of: ${request.options.map((option) => option.label).join(', ')}`),
      cancelled: notAnswered(request.name),
    });
  }

  text(request: TextRequest, signal: AbortSignal): Promise<string> {
    return this.prompts.ask(request, signal, {
      judge: (value) => {
        if (value !== '') return accept(value);
        if (request.default !== undefined) return accept(request.default);
        return refuse('type a value, then Enter');
      },
      cancelled: notAnswered(request.name),
    });
  }

  secret(request: SecretRequest, signal: AbortSignal): Promise<string> {
    return this.prompts.ask(request, signal, {
      judge: (value) => {
        if (value === '') return refuse('type or paste the value, then Enter');
        // Registered before validation: even a rejected value (a nearly right key) must never be shown.
        addSecret(value);
        const problem = request.validate?.(value);
        return problem === undefined ? accept(value) : refuse(redact(problem));
      },
      cancelled: notAnswered(request.name),
    });
  }

  confirm(request: ConfirmRequest, signal: AbortSignal): Promise<void> {
    return this.prompts.ask(request, signal, {
      judge: (typed) =>
        typed === request.token
          ? accept(undefined)
          : refuse(`"${typed}" does not match. Type exactly: ${request.token}   (Esc cancels)`),
      cancelled: () =>
        new AnswerRequiredError(
          request.name,
          'confirmation not given: nothing was changed',
          `run again and type ${request.token} when asked, if this target is really the one to change`,
        ),
    });
  }

  checklist(request: ChecklistRequest, signal: AbortSignal): Promise<ChecklistAnswer> {
    return this.prompts.ask(request, signal, {
      judge: (answer) => {
        const note = answer.note?.trim();
        return accept(note ? { done: answer.done, note } : { done: answer.done });
      },
      cancelled: notAnswered(request.name),
    });
  }

  /** Closes every open prompt (the run is stopping or the UI is closing); the asks reject with an AbortError. */
  closeAll(): void {
    this.prompts.closeAll();
  }
}
