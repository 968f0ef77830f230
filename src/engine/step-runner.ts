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
  for (let attempt = 1; ; attempt++) {
    hooks.attemptStarted(attempt);
    const controller = hooks.newStepController();
    const signals = [controller.signal];
    if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs));
    const signal = AbortSignal.any(signals);
    const { result, error } = await attemptOnce(action, params, () => makeContext(signal), signal);

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
      const stopped = await stoppedBy(step, hooks, controller, timeoutMs, attempt, error);
      if (stopped) return stopped;
      continue; // Ctrl+C on this step only, and the operator chose to run it again
    }
    const message = error !== undefined ? redact(messageOf(error)) : (result?.message ?? 'failed');
    const hint = (error instanceof RunbookError ? error.hint : result?.hint) ?? fallbackHint(error, message);
    const retryable = error === undefined || (exitCodeOf(error) === 1 && !isAbortError(error));
    if (attempt < maxAttempts && retryable) {
      const note = `attempt ${attempt} of ${maxAttempts} failed: ${message}`;
      const interrupted = await waitBeforeRetry(step, hooks, makeContext(hooks.runSignal), note, attempt);
      if (interrupted) return interrupted;
      continue;
    }
    return { outcome: 'failed', attempts: attempt, message, hint, data: result?.data, error };
  }
}

async function attemptOnce(
  action: AnyAction,
  params: unknown,
  makeContext: () => ActionContext,
  signal: AbortSignal,
): Promise<{ result?: ActionResult | void; error?: unknown }> {
  try {
    const validated: unknown = action.params.parse(params);
    return { result: await raceAbort(action.run(validated, makeContext()), signal) };
  } catch (caught) {
    return { error: caught };
  }
}

/** An attempt ended by an abort: the whole run stopped, its timeout passed, or Ctrl+C on it (retry if asked). */
async function stoppedBy(
  step: RunbookStep,
  hooks: StepRunnerHooks,
  controller: AbortController,
  timeoutMs: number | undefined,
  attempt: number,
  error: unknown,
): Promise<StepAttemptResult | undefined> {
  if (hooks.runSignal.aborted) {
    const reason: unknown = hooks.runSignal.reason ?? new InterruptedError();
    return { outcome: 'interrupted', attempts: attempt, message: 'interrupted', error: reason };
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
  if (await hooks.askRetryAfterInterrupt()) return undefined;
  const interrupted = new InterruptedError('SIGINT');
  return { outcome: 'interrupted', attempts: attempt, message: 'interrupted by the operator', error: interrupted };
}

/** Says the attempt failed and waits the retry delay; an abort of the run during the wait ends the step. */
async function waitBeforeRetry(
  step: RunbookStep,
  hooks: StepRunnerHooks,
  ctx: ActionContext,
  note: string,
  attempt: number,
): Promise<StepAttemptResult | undefined> {
  const wait = step.retryDelay ? parseDuration(step.retryDelay) : 2_000;
  ctx.output(`${note}; retrying in ${formatDuration(wait)}`, 'warn');
  try {
    await delay(wait, undefined, { signal: hooks.runSignal });
    return undefined;
  } catch {
    // the wait was cut short by the run's abort: the step ends interrupted with the run's reason
    const reason: unknown = hooks.runSignal.reason ?? new InterruptedError();
    return { outcome: 'interrupted', attempts: attempt, message: 'interrupted', error: reason };
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
