/**
 * What one run holds while its steps run: the outcome so far, the first failure, the steps' results, the inputs
 * and the template scope. Every step function reads and changes the run through this object, never through
 * variables of an enclosing function.
 */
import { ExitCode, InterruptedError, exitCodeOf, messageOf, RunbookError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { StepState } from './action.js';
import type { RunEvent, RunOutcome } from './events.js';
import type { EngineOptions } from './options.js';
import type { RunContextFactory } from './run-context.js';
import type { RunControl } from './run-control.js';
import type { TemplateScope } from './template.js';

export interface EngineHooks {
  setStepController(controller: AbortController | undefined): void;
  setCurrent(current: ReturnType<RunControl['current']>): void;
}

interface Failure {
  error: unknown;
  message: string;
  hint?: string;
}

export class RunState {
  outcome: RunOutcome = 'ok';
  exitCode: number = ExitCode.ok;
  failureMessage: string | undefined;
  failureHint: string | undefined;
  /** The first failure of a `continueOnError` step: the run goes on and fails at the end. */
  deferred: Failure | undefined;
  /** Steps of a resumed run that ran again in this process: a finished step that takes their data runs again. */
  readonly redone = new Set<string>();
  /**
   * Under --dry-run: the steps whose output is unknown, each with the step that did not run it comes from, and
   * whether the step itself may not run at all (its condition not known).
   */
  readonly unknownInDryRun = new Map<string, { source: string; undecided: boolean }>();
  readonly steps: Record<string, StepState> = {};
  inputs: Record<string, unknown> = {};

  /** The first failure decides the outcome and the exit code; later ones change nothing. */
  fail(error: unknown, message?: string, hint?: string): void {
    if (this.outcome !== 'ok') return;
    const code = exitCodeOf(error);
    this.outcome =
      code === ExitCode.answerRequired ? 'refused' : error instanceof InterruptedError ? 'interrupted' : 'failed';
    this.exitCode = code;
    this.failureMessage = redact(message ?? messageOf(error));
    this.failureHint = hint ?? (error instanceof RunbookError ? error.hint : undefined);
  }

  defer(failure: Failure): void {
    this.deferred ??= failure;
  }

  settleDeferred(): void {
    if (this.deferred) this.fail(this.deferred.error, this.deferred.message, this.deferred.hint);
  }
}

/** One run as its step functions see it. */
export interface Run {
  readonly options: EngineOptions;
  readonly runId: string;
  /** Aborted when the whole run stops (SIGINT/SIGTERM or a reader gone). */
  readonly signal: AbortSignal;
  readonly hooks: EngineHooks;
  readonly contexts: RunContextFactory;
  readonly state: RunState;
  emit(event: RunEvent): void;
  /** Known once the inputs are resolved. */
  scope: TemplateScope;
}

export function now(): string {
  return new Date().toISOString();
}
