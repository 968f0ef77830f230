/**
 * The prompts waiting for the operator, as a small observable store (no React here). The Ink interactor asks
 * through it; the React tree subscribes (useSyncExternalStore), renders the first pending prompt and answers it.
 */
import { messageOf } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { ChecklistRequest, PromptRequest } from '../engine/events.js';
import type { ChecklistAnswer } from '../engine/interactor.js';

/** What the prompt component hands back: the typed text, or done / not done for a checklist item. */
export type AnswerFor<R extends PromptRequest> = R extends ChecklistRequest ? ChecklistAnswer : string;

export interface PendingPrompt<R extends PromptRequest = PromptRequest> {
  readonly id: number;
  /** Same as request.kind, at the top so that a switch on it narrows the whole prompt. */
  readonly kind: R['kind'];
  readonly request: R;
  /** Offers an answer. Returns why it was refused (the prompt stays open) or undefined once accepted. */
  submit(answer: AnswerFor<R>): string | undefined;
  /** The operator declined to answer. */
  cancel(): void;
}

/** One pending prompt, narrowed by `request.kind`. */
export type AnyPendingPrompt = {
  [K in PromptRequest['kind']]: PendingPrompt<Extract<PromptRequest, { kind: K }>>;
}[PromptRequest['kind']];

export type Verdict<T> = { accepted: true; value: T } | { accepted: false; reason: string };

export interface AskOptions<R extends PromptRequest, T> {
  /** Decides whether an answer is accepted and what the ask resolves with. */
  judge(answer: AnswerFor<R>): Verdict<T>;
  /** The error the ask rejects with when the operator cancels. */
  cancelled(): Error;
}

export function abortError(signal?: AbortSignal): Error {
  const error = new Error('the prompt was closed: the run is stopping', { cause: signal?.reason });
  error.name = 'AbortError';
  return error;
}

export class PromptStore {
  #queue: AnyPendingPrompt[] = [];
  /** How to reject each pending ask from outside (closeAll). */
  #closers = new Map<number, (error: Error) => void>();
  #listeners = new Set<() => void>();
  #nextId = 1;

  /** For useSyncExternalStore: stable between changes. */
  readonly current = (): AnyPendingPrompt | undefined => this.#queue[0];

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  ask<R extends PromptRequest, T>(request: R, signal: AbortSignal, options: AskOptions<R, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        this.#remove(entry);
        return true;
      };
      const onAbort = () => {
        if (settle()) reject(abortError(signal));
      };
      const entry: PendingPrompt<R> = {
        id: this.#nextId++,
        kind: request.kind,
        request,
        submit: (answer) => {
          if (settled) return undefined;
          let verdict: Verdict<T>;
          try {
            verdict = options.judge(answer);
          } catch (error) {
            // A check that throws (a request's validate) refuses the answer instead of bringing the UI down.
            return redact(messageOf(error));
          }
          if (!verdict.accepted) return verdict.reason;
          settle();
          resolve(verdict.value);
          return undefined;
        },
        cancel: () => {
          if (settle()) reject(options.cancelled());
        },
      };
      this.#closers.set(entry.id, (error) => {
        if (settle()) reject(error);
      });
      signal.addEventListener('abort', onAbort, { once: true });
      // A PendingPrompt<R> is the member of the union whose kind R has.
      this.#queue = [...this.#queue, entry as unknown as AnyPendingPrompt];
      this.#notify();
    });
  }

  /** Rejects every pending prompt with `error` (the run is stopping, or the UI is closing). */
  closeAll(error: Error = abortError()): void {
    for (const close of [...this.#closers.values()]) close(error);
  }

  #remove(entry: { id: number }): void {
    this.#closers.delete(entry.id);
    this.#queue = this.#queue.filter((candidate) => candidate.id !== entry.id);
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
