/**
 * The one event stream. The engine emits these; the Ink UI, the headless reporter, the journal and the
 * record builder consume them. Every string in an event is already redacted when it is emitted.
 */

export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'timed-out' | 'interrupted';
export type RunOutcome = 'ok' | 'failed' | 'interrupted' | 'refused';
export type RunMode = 'interactive' | 'headless';

export interface PlannedStep {
  id: string;
  title: string;
  action: string;
  destructive: boolean;
  /** What the step will do with its parameters resolved (shown by --dry-run and before a gate). */
  plan: string;
  /** False when its `when` condition is known to be false at plan time. */
  willRun: boolean | 'depends';
}

export interface RunStarted {
  type: 'run-started';
  runId: string;
  runbook: string;
  title: string;
  runbookSha256: string;
  mode: RunMode;
  dryRun: boolean;
  resumedFrom?: string;
  inputs: Record<string, string>;
  steps: PlannedStep[];
  at: string;
}

export interface StepStarted {
  type: 'step-started';
  runId: string;
  stepId: string;
  index: number;
  title: string;
  action: string;
  destructive: boolean;
  attempt: number;
  at: string;
}

export interface StepOutput {
  type: 'step-output';
  runId: string;
  stepId: string;
  stream: 'stdout' | 'stderr' | 'info' | 'warn';
  text: string;
  /**
   * Optional, for renderers (a renderer that ignores it shows the line as any other):
   * `note`: a result the operator must keep or act on (what to do next, what was not replaced, a report):
   * kept after the step ends and repeated in the run's summary. `phase`: the step has passed a point that changes
   * what stopping it now would leave; the text says what it would leave (the stop dialog shows it).
   */
  kind?: OutputKind;
  at: string;
}

export type OutputKind = 'note' | 'phase';

export interface StepProgress {
  type: 'step-progress';
  runId: string;
  stepId: string;
  /** Units done so far (bytes, rows, tables…) and the total when known. */
  done: number;
  total?: number;
  unit?: string;
  label?: string;
  etaMs?: number;
  ratePerSecond?: number;
  at: string;
}

export interface StepFinished {
  type: 'step-finished';
  runId: string;
  stepId: string;
  outcome: StepOutcome;
  durationMs: number;
  attempts: number;
  message?: string;
  hint?: string;
  /** Non-secret results other steps and the record can use (sizes, names, era labels…). */
  data?: Record<string, unknown>;
  at: string;
}

export interface GateOpened {
  type: 'gate-opened';
  runId: string;
  stepId: string;
  request: PromptRequest;
  at: string;
}

export interface GateAnswered {
  type: 'gate-answered';
  runId: string;
  stepId: string;
  name: string;
  /** A non-secret summary of the answer ("confirmed", the choice made, "ticked"); secrets never appear. */
  summary: string;
  at: string;
}

export interface RunFinished {
  type: 'run-finished';
  runId: string;
  outcome: RunOutcome;
  exitCode: number;
  durationMs: number;
  message?: string;
  hint?: string;
  recordPath?: string;
  /** The record's copy to the bucket (replicated the moment it is written). */
  recordCopy?: { ok: boolean; text: string };
  /** What the run leaves: the target's state, steps done and left, the command that continues it. */
  ending?: RunEnding;
  at: string;
}

export interface RunEnding {
  /** untouched / changed by … / HALF-WAY: … (from the runbook's destructive steps). */
  target: string;
  /** Step ids that finished, and those not run or not finished (teardown steps aside). */
  done: string[];
  left: string[];
  /** The step the run stopped at, and what the runbook says stopping there leaves (its onInterrupt). */
  stoppedAt?: string;
  atStop?: string;
  /** The command that continues the run (`obexal-runbook <runbook> --resume <id>`). */
  next?: string;
  /** Set when this run stopped the application and did not start it again: what starts it. */
  application?: string;
}

export type RunEvent =
  RunStarted | StepStarted | StepOutput | StepProgress | StepFinished | GateOpened | GateAnswered | RunFinished;

export type RunEventListener = (event: RunEvent) => void;

// ---- prompts (what the Interactor is asked) ----

export interface ChoiceOption {
  value: string;
  label: string;
  hint?: string;
}

export interface ChoiceRequest {
  kind: 'choice';
  name: string;
  message: string;
  options: ChoiceOption[];
  default?: string;
}

export interface TextRequest {
  kind: 'text';
  name: string;
  message: string;
  default?: string;
}

export interface SecretRequest {
  kind: 'secret';
  name: string;
  message: string;
  /** Checks the value before it is accepted; returns an error message or undefined. */
  validate?: (value: string) => string | undefined;
}

/**
 * A typed confirmation. For a destruction the token is the target's `host:port/database` and `details`
 * says what will be destroyed (sessions ended, database replaced…).
 */
export interface ConfirmRequest {
  kind: 'confirm';
  name: string;
  message: string;
  token: string;
  destructive: boolean;
  details: string[];
  /** Whether this invocation named the target itself (DATABASE_URL in its environment or a flag). */
  targetNamedByInvocation: boolean;
}

export interface ChecklistRequest {
  kind: 'checklist';
  name: string;
  item: string;
}

export type PromptRequest = ChoiceRequest | TextRequest | SecretRequest | ConfirmRequest | ChecklistRequest;
