import type { RunEventListener, RunOutcome } from './events.js';
import type { Interactor } from './interactor.js';

/** What a run ended with: the CLI turns it into the process exit code. */
export interface RunResult {
  runId: string;
  outcome: RunOutcome;
  exitCode: number;
  message?: string;
  hint?: string;
  recordPath?: string;
  /** The record was re-read and its signature checked after writing. */
  recordVerified?: boolean;
  recordCopy?: { ok: boolean; text: string };
  journalPath?: string;
}

/**
 * How a renderer steers a run in progress. `interruptStep` cancels the running step (its subprocesses,
 * S3 requests and SQL) and, interactively, the engine then asks whether to retry the step or stop;
 * `abort` stops the whole run (cleanup still runs) with the exit code of the signal.
 */
export interface RunControl {
  interruptStep(): void;
  abort(signal: 'SIGINT' | 'SIGTERM'): void;
  /** The step running now, if any, and what stopping during it would leave (from the runbook's `onInterrupt`). */
  current(): { stepId: string; title: string; destructive: boolean; onInterrupt?: string } | undefined;
}

export interface StartedRun {
  control: RunControl;
  done: Promise<RunResult>;
}

/** The CLI gives renderers this to start a runbook by name with their own interactor and listener. */
export type StartRun = (runbook: string, interactor: Interactor, listener: RunEventListener) => Promise<StartedRun>;
