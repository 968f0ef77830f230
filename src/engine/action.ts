import type { z } from 'zod';
import type { ParsedSettings } from '../core/parsed-settings.js';
import type { Settings } from '../core/settings.js';
import type { Interactor } from './interactor.js';
import type { OutputKind, RunMode, StepOutcome } from './events.js';

/** What a finished step left for later steps, `when` conditions and the record. */
export interface StepState {
  outcome: StepOutcome;
  data: Record<string, unknown>;
}

export interface ProgressUpdate {
  done: number;
  total?: number;
  unit?: string;
  label?: string;
  etaMs?: number;
  /** Units per second over the last seconds (a sliding window), when the step measures it. */
  ratePerSecond?: number;
}

/** Everything an action may touch. All I/O of a step goes through what it is given here. */
export interface ActionContext {
  runId: string;
  runbook: string;
  stepId: string;
  mode: RunMode;
  dryRun: boolean;
  /** True when this run continues an earlier one (`--resume`). */
  resumed: boolean;
  signal: AbortSignal;
  /** The raw settings, by name (runbook templates, and modules not yet on `config`). */
  settings: Settings;
  /** The settings parsed once into typed sections (core/parsed-settings.ts); parsed on first read. */
  readonly config: ParsedSettings;
  interactor: Interactor;
  inputs: Readonly<Record<string, unknown>>;
  steps: Readonly<Record<string, StepState>>;
  /** On --resume, what this step left in the earlier run (a step that asks again offers those answers first). */
  previous?: Readonly<StepState>;
  /**
   * A line of output for the screen tail and the journal (redacted on the way out). `kind` (optional): `note`
   * for a result the operator must keep, `phase` for a point passed that changes what stopping would leave.
   */
  output(text: string, stream?: 'stdout' | 'stderr' | 'info' | 'warn', kind?: OutputKind): void;
  progress(update: ProgressUpdate): void;
  /** A private folder (0700) for this run, removed on every exit path of the run. */
  privateDir(): Promise<string>;
  /** Registers a teardown that runs on every exit path of the run (last registered, first run). */
  onCleanup(fn: () => Promise<void> | void, label: string): void;
  /** Names the invocation gave explicitly (environment or flags), for the confirmation rule of DESIGN §3. */
  invocationNamed(settingName: string): boolean;
  /** Secrets of this run, held in memory only (never journaled or recorded; asked again on resume). */
  secrets: SecretStore;
  /** Marks a destruction of `token` (host:port/database) as confirmed in this process. */
  recordConfirmation(token: string): void;
  /** The application's state as this run leaves it (APP_STOP/START_COMMAND ran), for the run's last lines. */
  noteApplication?(state: 'stopped' | 'started'): void;
}

export interface SecretStore {
  get(name: string): string | undefined;
  /** Stores the value and registers it with the redaction layer. */
  set(name: string, value: string): void;
}

export interface ActionResult {
  message?: string;
  data?: Record<string, unknown>;
  /** A step may finish as 'failed' without throwing (a check that did not pass, with continueOnError). */
  outcome?: 'ok' | 'failed' | 'skipped';
  hint?: string;
}

export interface ActionDefinition<P = Record<string, unknown>> {
  name: string;
  description: string;
  /** Validates the step's `with:` parameters (at load time with templates left in place, and after resolution). */
  params: z.ZodType<P>;
  /** True when every use of the action destroys or replaces data: the runbook must then say `destructive: true`. */
  destructive?: boolean;
  /** Touches nothing (inspection, preflight checks): runs under --dry-run too, as long as it never prompts. */
  readOnly?: boolean;
  /** Runs again when a run is resumed even if it finished (inspection, confirmation, secret prompts). */
  rerunOnResume?: boolean;
  /**
   * On resume, for a step that finished in the earlier run: whether what it left still stands (a database it
   * created may have been dropped when the run stopped). False: the step runs again, and so does every later step
   * that takes its data.
   */
  stillDone?(params: P, previous: Record<string, unknown>, ctx: ActionContext): Promise<boolean>;
  /** One line saying what the step will do, for --dry-run and gates. Must not touch anything. */
  describe?(params: P, ctx: Pick<ActionContext, 'settings' | 'config' | 'inputs' | 'steps'>): string;
  run(params: P, ctx: ActionContext): Promise<ActionResult | void>;
}

// Actions register with their own parameter type; the registry only needs the erased shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAction = ActionDefinition<any>;

export function defineAction<P>(action: ActionDefinition<P>): ActionDefinition<P> {
  return action;
}
