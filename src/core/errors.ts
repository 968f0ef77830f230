/**
 * Typed errors. Every error the operator can see carries a hint (what to do next) and maps to one exit
 * code of DESIGN §3. Messages must already be redacted when they reach an error (build them from redacted
 * commands and values), and `formatError` redacts once more on the way out.
 */

export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  answerRequired: 3,
  resumeRefused: 4,
  thresholdMissed: 5,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class RunbookError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.stepFailed;
    this.hint = options.hint;
  }
}

/** Bad command line, unknown runbook or action, invalid configuration value. */
export class UsageError extends RunbookError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint });
  }
}

/** A runbook file that does not validate: names the file, the line and the field. */
export class InvalidRunbookError extends RunbookError {
  readonly problems: readonly RunbookProblem[];
  constructor(file: string, problems: readonly RunbookProblem[]) {
    const lines = problems.map((p) => `  ${file}:${p.line ?? '?'}: ${p.path || '(root)'}: ${p.message}`);
    super(`invalid runbook ${file}\n${lines.join('\n')}`, {
      exitCode: ExitCode.usage,
      hint: 'fix the fields named above; `obexal-runbook validate <file>` checks a runbook without running it',
    });
    this.problems = problems;
  }
}
export interface RunbookProblem {
  path: string;
  line: number | undefined;
  message: string;
}

/** A step failed: a command, a verification or a check. */
export class StepFailedError extends RunbookError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.stepFailed, hint, cause });
  }
}

/** Headless and an answer or confirmation is missing or wrong: nothing was changed. */
export class AnswerRequiredError extends RunbookError {
  readonly answerName: string;
  constructor(answerName: string, message: string, hint?: string) {
    super(message, { exitCode: ExitCode.answerRequired, hint });
    this.answerName = answerName;
  }
}

/** An answer was given but is not one of the options (a step that validates its own answers turns it into exit 2). */
export class InvalidAnswerError extends AnswerRequiredError {
  readonly answer: string;
  constructor(answerName: string, answer: string, message: string, hint?: string) {
    super(answerName, message, hint);
    this.answer = answer;
  }
}

export class ResumeRefusedError extends RunbookError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.resumeRefused, hint });
  }
}

export class ThresholdMissedError extends RunbookError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.thresholdMissed, hint });
  }
}

export class InterruptedError extends RunbookError {
  readonly signal: 'SIGINT' | 'SIGTERM';
  constructor(signal: 'SIGINT' | 'SIGTERM' = 'SIGINT', message = 'interrupted') {
    super(message, { exitCode: signal === 'SIGTERM' ? ExitCode.sigterm : ExitCode.sigint });
    this.signal = signal;
  }
}

export function isAbortError(error: unknown): boolean {
  return (
    error instanceof InterruptedError ||
    (error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR'))
  );
}

/** The exit code for any thrown value: typed errors carry theirs, anything else is a failed step. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof RunbookError) return error.exitCode;
  return ExitCode.stepFailed;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
