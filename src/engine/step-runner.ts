/**
 * Runs one step: resolved parameters, timeout, retries, interruption. Returns the finished event's fields;
 * throws only when the run must stop at once (the run itself was aborted).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { parseDuration } from '../core/duration.js';
import { formatDuration } from '../core/format.js';
import { InterruptedError, RunbookError, exitCodeOf, isAbortError, messageOf } from '../core/errors.js';
import { fallbackHint } from '../core/error-hints.js';
import { redact } from '../core/redact.js';
import type { ActionContext, ActionResult, AnyAction } from './action.js';
import type { StepOutcome } from './events.js';
import type { RunbookStep } from './runbook-schema.js';

export interface StepAttemptResult {
  outcome: StepOutcome;
  attempts: number;
  message?: string;
  hint?: string;
  data?: Record<string, unknown>;
  /** The error that ended the step, for the run's exit code. */
  error?: unknown;
}

export interface StepRunnerHooks {
  /** Called when an attempt starts (emits step-started). */
  attemptStarted(attempt: number): void;
  /** A fresh controller for the attempt; the engine keeps it so that Ctrl+C can interrupt just this step. */
  newStepController(): AbortController;
  /** After an interruption, interactively: retry the step? Headless answers no. */
  askRetryAfterInterrupt(): Promise<boolean>;
  runSignal: AbortSignal;
}

export async function runStep(
  step: RunbookStep,
  action: AnyAction,
  params: unknown,
  makeContext: (signal: AbortSignal) => ActionContext,
  hooks: StepRunnerHooks,
): Promise<StepAttemptResult> {
  const maxAttempts = step.retries + 1;
  const timeoutMs = step.timeout ? parseDuration(step.timeout) : undefined;
  let attempt = 0;
  for (;;) {
    attempt += 1;
    hooks.attemptStarted(attempt);
    const controller = hooks.newStepController();
    const signals = [controller.signal];
    if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs));
    const signal = AbortSignal.any(signals);
    let result: ActionResult | void = undefined;
    let error: unknown;
    try {
      const validated = action.params.parse(params);
      result = await raceAbort(action.run(validated, makeContext(signal)), signal);
    } catch (caught) {
      error = caught;
    }

    if (error === undefined && result?.outcome !== 'failed') {
      return {
        outcome: result?.outcome === 'skipped' ? 'skipped' : 'ok',
        attempts: attempt,
        message: result?.message,
        hint: result?.hint,
        data: result?.data,
      };
    }

    if (error !== undefined && signal.aborted) {
      if (hooks.runSignal.aborted) {
        return {
          outcome: 'interrupted',
          attempts: attempt,
          message: 'interrupted',
          error: hooks.runSignal.reason ?? new InterruptedError(),
        };
      }
      if (!controller.signal.aborted && timeoutMs !== undefined) {
        return {
          outcome: 'timed-out',
          attempts: attempt,
          message: `timed out after ${formatDuration(timeoutMs)}`,
          hint: `the step's timeout is ${step.timeout}; raise it in the runbook if the work is legitimately slow`,
          error,
        };
      }
      // Ctrl+C on this step only.
      if (await hooks.askRetryAfterInterrupt()) continue;
      return {
        outcome: 'interrupted',
        attempts: attempt,
        message: 'interrupted by the operator',
        error: new InterruptedError('SIGINT'),
      };
    }

    const message = error !== undefined ? redact(messageOf(error)) : (result?.message ?? 'failed');
    const hint = (error instanceof RunbookError ? error.hint : result?.hint) ?? fallbackHint(error, message);
    const retryable = error === undefined || (exitCodeOf(error) === 1 && !isAbortError(error));
    if (attempt < maxAttempts && retryable) {
      const wait = step.retryDelay ? parseDuration(step.retryDelay) : 2_000;
      makeContext(hooks.runSignal).output(
        `attempt ${attempt} of ${maxAttempts} failed: ${message}; retrying in ${formatDuration(wait)}`,
        'warn',
      );
      try {
        await delay(wait, undefined, { signal: hooks.runSignal });
      } catch {
        return {
          outcome: 'interrupted',
          attempts: attempt,
          message: 'interrupted',
          error: hooks.runSignal.reason ?? new InterruptedError(),
        };
      }
      continue;
    }
    return { outcome: 'failed', attempts: attempt, message, hint, data: result?.data, error };
  }
}

/**
 * After an abort, gives the action a grace period to stop its own work (kill its processes, cancel its
 * SQL) so that cleanup never races a step that is still writing; an action that ignores the signal is then
 * left behind and the step ends anyway.
 */
const ABORT_GRACE_MS = 15_000;

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason ?? new InterruptedError()), ABORT_GRACE_MS);
      timer.unref();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
    work.then(
      (value) => {
        settle();
        if (signal.aborted) reject(signal.reason ?? new InterruptedError());
        else resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(signal.aborted ? (signal.reason ?? error) : error);
      },
    );
  });
}
