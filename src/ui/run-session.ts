/**
 * One interactive session as an observable (no React): the menu or a run started through `StartRun`, the
 * events folded into a RunState, Ctrl+C and signals turned into RunControl calls, and the exit code.
 *
 * Ctrl+C: the first one interrupts the running step (the engine then asks, through the interactor, whether to
 * retry or stop) and the second aborts the run. During a destructive step the first one only opens a dialog that
 * says what stopping would leave; `confirmStop` then interrupts the step, `continueRun` closes the dialog.
 */
import { ExitCode, exitCodeOf, messageOf, RunbookError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { RunEvent } from '../engine/events.js';
import type { RunControl, RunResult, StartRun } from '../engine/run-control.js';
import type { InkInteractor } from './ink-interactor.js';
import { initialRunState, reduceRunEvent, type RunState } from './run-state.js';

export type SessionPhase = 'menu' | 'starting' | 'running' | 'done';
/** idle · asking (destructive-step dialog open) · interrupting (step interrupted) · aborting (run stopping). */
export type InterruptStage = 'idle' | 'asking' | 'interrupting' | 'aborting';

export interface StopDialog {
  stepId: string;
  title: string;
  onInterrupt?: string;
}

export interface SessionSnapshot {
  phase: SessionPhase;
  runbook?: string;
  run: RunState;
  interrupt: InterruptStage;
  dialog?: StopDialog;
  result?: RunResult;
  /** The run could not start or ended with an error instead of a result. */
  failure?: { message: string; hint?: string };
  exitCode?: number;
  /** Set when the session ended without a run to summarise (quit from the menu, a signal there). */
  quiet?: boolean;
}

type Signal = 'SIGINT' | 'SIGTERM';
const SIGNAL_EXIT: Record<Signal, number> = { SIGINT: ExitCode.sigint, SIGTERM: ExitCode.sigterm };

export class RunSession {
  #snapshot: SessionSnapshot;
  #listeners = new Set<() => void>();
  #control: RunControl | undefined;
  #pendingAbort: Signal | undefined;
  #notifyLater: NodeJS.Immediate | undefined;
  #done: Promise<number>;
  #resolveDone!: (code: number) => void;

  constructor(
    private readonly startRun: StartRun,
    private readonly interactor: InkInteractor,
  ) {
    this.#snapshot = { phase: 'menu', run: initialRunState, interrupt: 'idle' };
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  readonly getSnapshot = (): SessionSnapshot => this.#snapshot;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Resolves with the exit code once the session is over. */
  finished(): Promise<number> {
    return this.#done;
  }

  start(runbook: string): void {
    if (this.#snapshot.phase !== 'menu') return;
    this.#update({ phase: 'starting', runbook });
    void this.#run(runbook);
  }

  async #run(runbook: string): Promise<void> {
    try {
      const started = await this.startRun(runbook, this.interactor, (event) => this.#onEvent(event));
      this.#control = started.control;
      if (this.#snapshot.phase === 'starting') this.#update({ phase: 'running' });
      if (this.#pendingAbort) this.#abort(this.#pendingAbort);
      const result = await started.done;
      this.#finish({ result, exitCode: result.exitCode });
    } catch (error) {
      const hint = error instanceof RunbookError ? error.hint : undefined;
      const exitCode =
        error instanceof RunbookError || !this.#pendingAbort ? exitCodeOf(error) : SIGNAL_EXIT[this.#pendingAbort];
      this.#finish({ failure: { message: redact(messageOf(error)), ...(hint ? { hint: redact(hint) } : {}) }, exitCode });
    }
  }

  #onEvent(event: RunEvent): void {
    const run = reduceRunEvent(this.#snapshot.run, event);
    let { interrupt, dialog } = this.#snapshot;
    // A new step (or a retry) starts with a clean slate; a dialog about a step that ended by itself is moot.
    if (event.type === 'step-started' && interrupt === 'interrupting') interrupt = 'idle';
    if (event.type === 'step-finished' && dialog?.stepId === event.stepId) {
      interrupt = 'idle';
      dialog = undefined;
    }
    // Output and progress can come by the thousand a second: they are folded at once but drawn at most once per
    // turn of the event loop.
    const frequent = event.type === 'step-output' || event.type === 'step-progress';
    this.#update({ run, interrupt, dialog }, frequent);
  }

  /** Ctrl+C from the keyboard. */
  ctrlC(): void {
    const { phase, interrupt } = this.#snapshot;
    if (phase === 'done') return;
    if (phase === 'menu') return this.#finish({ exitCode: ExitCode.sigint, quiet: true });
    if (phase === 'starting' || interrupt !== 'idle') return this.#abort('SIGINT');
    const current = this.#control?.current();
    if (current?.destructive) {
      const dialog: StopDialog = { stepId: current.stepId, title: current.title };
      if (current.onInterrupt) dialog.onInterrupt = current.onInterrupt;
      return this.#update({ interrupt: 'asking', dialog });
    }
    this.#interruptStep();
  }

  /** The operator confirmed, in the dialog, to stop the destructive step. */
  confirmStop(): void {
    if (this.#snapshot.interrupt === 'asking') this.#interruptStep();
  }

  /** The operator chose, in the dialog, to let the destructive step go on. */
  continueRun(): void {
    if (this.#snapshot.interrupt === 'asking') this.#update({ interrupt: 'idle', dialog: undefined });
  }

  /** A signal from outside (SIGTERM, or SIGINT sent by `kill`): stop the run, or leave the menu. */
  terminate(signal: Signal): void {
    const { phase } = this.#snapshot;
    if (phase === 'done') return;
    if (phase === 'menu') return this.#finish({ exitCode: SIGNAL_EXIT[signal], quiet: true });
    this.#abort(signal);
  }

  /** Leave from the menu without running anything. */
  quit(): void {
    if (this.#snapshot.phase === 'menu') this.#finish({ exitCode: ExitCode.ok, quiet: true });
  }

  #interruptStep(): void {
    this.#update({ interrupt: 'interrupting', dialog: undefined });
    this.#control?.interruptStep();
  }

  #abort(signal: Signal): void {
    this.#pendingAbort ??= signal;
    this.#update({ interrupt: 'aborting', dialog: undefined });
    if (!this.#control) return;
    this.#control.abort(signal);
    // The engine aborts the asks it made with the run's signal; this only makes sure no prompt is left open.
    this.interactor.closeAll();
  }

  #finish(end: Pick<SessionSnapshot, 'result' | 'failure' | 'exitCode' | 'quiet'>): void {
    if (this.#snapshot.phase === 'done') return;
    this.interactor.closeAll();
    this.#update({ ...end, phase: 'done', interrupt: 'idle', dialog: undefined });
    this.#resolveDone(end.exitCode ?? ExitCode.ok);
  }

  #update(patch: Partial<SessionSnapshot>, deferNotify = false): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    if (deferNotify) {
      this.#notifyLater ??= setImmediate(() => this.#notify());
      return;
    }
    this.#notify();
  }

  #notify(): void {
    if (this.#notifyLater) clearImmediate(this.#notifyLater);
    this.#notifyLater = undefined;
    for (const listener of this.#listeners) listener();
  }
}
