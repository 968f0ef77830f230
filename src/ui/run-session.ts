/**
 * One interactive session as an observable (no React): the menu or a run started through `StartRun`, the
 * events folded into a RunState, Ctrl+C and signals turned into RunControl calls, and the exit code.
 *
 * Ctrl+C: the first one interrupts the running step (the engine then asks, through the interactor, whether to
 * retry or stop) and the second aborts the run. During a destructive step, or once a step of the run has said what
 * stopping would leave (a `phase` output: a restore's copy and swap), the first one only opens a dialog that says
 * it; `confirmStop` then interrupts the step, `continueRun` closes the dialog. While the dialog is open the run goes
 * on: when a step ends well and the next one starts, the dialog names the step it would now stop and shows what
 * stopping would leave now (past the swap, say), so that `y` never stops a step other than the one it names.
 */
import { ExitCode, exitCodeOf, messageOf, RunbookError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { RunEvent, StepOutcome } from '../engine/events.js';
import type { RunControl, RunResult, StartRun } from '../engine/run-control.js';
import type { InkInteractor } from './ink-interactor.js';
import { parseResume } from '../engine/resume-request.js';
import { endingLines } from '../engine/ending-lines.js';
import { initialRunState, reduceRunEvent, type LogEntry, type RunState } from './run-state.js';

export interface SessionOptions {
  /** After a run, back to the menu instead of leaving (practice); Ctrl+C twice at the menu leaves. */
  returnToMenu?: boolean;
}

type SummarySource = Pick<
  SessionSnapshot,
  'runbook' | 'result' | 'failure' | 'exitCode' | 'run' | 'cancelledAtQuestion'
>;

export function summarise(snapshot: SummarySource): RunSummary {
  const { run } = snapshot;
  const counts: Partial<Record<StepOutcome, number>> = {};
  const completed: RunSummary['completed'] = [];
  for (const entry of run.log) {
    if (entry.kind !== 'step') continue;
    counts[entry.outcome] = (counts[entry.outcome] ?? 0) + 1;
    if (entry.outcome !== 'ok') continue;
    completed.push({ title: entry.title, ...(entry.message ? { message: entry.message } : {}) });
  }
  const outcome = snapshot.result?.outcome;
  const stopped = outcome === 'interrupted' || (!snapshot.result && snapshot.exitCode === ExitCode.sigint);
  // A resumed run stopped at its first question leaves the run it continues as it was: still to resume.
  const resumed = run.log.some((entry) => entry.kind === 'header' && entry.resumedFrom !== undefined);
  const cancelled = stopped && !resumed && completed.length === 0 && snapshot.cancelledAtQuestion === true;
  return {
    ...(snapshot.runbook ? { runbook: snapshot.runbook } : {}),
    ...(snapshot.result ? { result: snapshot.result } : {}),
    ...(snapshot.failure ? { failure: snapshot.failure } : {}),
    exitCode: snapshot.exitCode ?? ExitCode.ok,
    ...(run.finished ? { durationMs: run.finished.durationMs } : {}),
    counts,
    notes: run.notes,
    completed,
    cancelled,
    ending: cancelled || !run.finished ? [] : endingLines(run.finished.ending),
  };
}

export type SessionPhase = 'menu' | 'starting' | 'running' | 'done';
/** idle · asking (destructive-step dialog open) · interrupting (step interrupted) · aborting (run stopping). */
export type InterruptStage = 'idle' | 'asking' | 'interrupting' | 'aborting';

export interface StopDialog {
  stepId: string;
  title: string;
  destructive: boolean;
  onInterrupt?: string;
}

/** What stays on screen from earlier runs of the session (the menu comes back after a run in practice). */
export type TranscriptItem =
  { kind: 'log'; key: string; entry: LogEntry } | { kind: 'summary'; key: string; summary: RunSummary };

/** How a run ended, as the summary shows it. */
export interface RunSummary {
  runbook?: string;
  result?: RunResult;
  failure?: { message: string; hint?: string };
  exitCode: number;
  durationMs?: number;
  counts: Partial<Record<StepOutcome, number>>;
  notes: string[];
  /** Steps that finished ok before the run failed or stopped (their results stand). */
  completed: { title: string; message?: string }[];
  /** Stopped before any step finished: nothing to resume. */
  cancelled: boolean;
  /** What the run leaves when it did not succeed: the target's state, steps left, the command that continues it. */
  ending: string[];
}

export interface SessionSnapshot {
  phase: SessionPhase;
  /** Earlier runs' history and summaries (only when the menu comes back after a run). */
  transcript: TranscriptItem[];
  /** Counts the runs of the session: keys of the live run's history entries. */
  runNumber: number;
  /** Ctrl+C answered the run's first question(s), before any step ended. */
  cancelledAtQuestion?: boolean;
  /** A line under the menu (Ctrl+C once at the practice menu). */
  menuNotice?: string;
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

  /** Where the menu's cursor was, so that it comes back there after a run. */
  menuCursor = 0;
  #quitArmed = false;
  /** A signal from outside ends the session after the run, even when the menu would come back. */
  #terminated = false;

  constructor(
    private readonly startRun: StartRun,
    private readonly interactor: InkInteractor,
    private readonly options: SessionOptions = {},
  ) {
    this.#snapshot = { phase: 'menu', run: initialRunState, interrupt: 'idle', transcript: [], runNumber: 0 };
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
    this.#quitArmed = false;
    this.#pendingAbort = undefined;
    this.#control = undefined;
    this.#update({
      phase: 'starting',
      runbook: parseResume(runbook).runbook,
      run: initialRunState,
      runNumber: this.#snapshot.runNumber + 1,
      ...{
        menuNotice: undefined,
        cancelledAtQuestion: undefined,
        result: undefined,
        failure: undefined,
        exitCode: undefined,
      },
    });
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
      this.#finish({
        failure: { message: redact(messageOf(error)), ...(hint ? { hint: redact(hint) } : {}) },
        exitCode,
      });
    }
  }

  #onEvent(event: RunEvent): void {
    const run = reduceRunEvent(this.#snapshot.run, event);
    let { interrupt } = this.#snapshot;
    // A new step (or a retry) starts with a clean slate.
    if (event.type === 'step-started' && interrupt === 'interrupting') interrupt = 'idle';
    const dialog = interrupt === 'asking' ? this.#followDialog(this.#snapshot.dialog, event, run) : undefined;
    if (interrupt === 'asking' && !dialog) interrupt = 'idle';
    // Output and progress can come by the thousand a second: they are folded at once but drawn at most once per
    // turn of the event loop.
    const frequent = event.type === 'step-output' || event.type === 'step-progress';
    this.#update({ run, interrupt, dialog }, frequent);
  }

  /**
   * The open dialog as the run moves on. A step that ended well while it was open hands it to the next step when
   * stopping that one would also leave something to say (it is destructive, or the run has passed a phase); a
   * step that failed or was interrupted, or a next step with nothing to say, closes it (it is moot).
   */
  #followDialog(dialog: StopDialog | undefined, event: RunEvent, run: RunState): StopDialog | undefined {
    if (!dialog) return undefined;
    if (event.type === 'step-finished' && event.stepId === dialog.stepId && (event.outcome !== 'ok' || !run.phase))
      return undefined;
    if (event.type !== 'step-started' || event.stepId === dialog.stepId) return dialog;
    if (!event.destructive && !run.phase) return undefined;
    return this.#dialogFor({ stepId: event.stepId, title: event.title, destructive: event.destructive });
  }

  /** The dialog about a step, with what the runbook says stopping it would leave. */
  #dialogFor(step: Omit<StopDialog, 'onInterrupt'>): StopDialog {
    const current = this.#control?.current();
    const onInterrupt = current?.stepId === step.stepId ? current.onInterrupt : undefined;
    return { ...step, ...(onInterrupt ? { onInterrupt } : {}) };
  }

  /** Ctrl+C from the keyboard. */
  ctrlC(): void {
    const { phase, interrupt } = this.#snapshot;
    if (phase === 'done') return;
    if (phase === 'menu') return this.#ctrlCAtMenu();
    if (phase === 'starting' || interrupt !== 'idle') return this.#abort('SIGINT');
    const current = this.#control?.current();
    // Ctrl+C at a question before any step ended: if the run stops, it was cancelled (nothing was done, nothing
    // to resume). A question asked before the first step (an input) cancels at once; inside a step, the engine
    // asks first whether to stop or run the step again.
    if (this.interactor.prompts.current()) {
      const untouched = this.#snapshot.run.log.every((entry) => entry.kind !== 'step' || entry.outcome === 'skipped');
      if (untouched) this.#update({ cancelledAtQuestion: true });
      if (!current) return this.#abort('SIGINT');
    }
    if (current && (current.destructive || this.#snapshot.run.phase)) {
      const { stepId, title, destructive } = current;
      return this.#update({ interrupt: 'asking', dialog: this.#dialogFor({ stepId, title, destructive }) });
    }
    this.#interruptStep();
  }

  #ctrlCAtMenu(): void {
    if (!this.options.returnToMenu || this.#quitArmed) return this.#finish({ exitCode: ExitCode.sigint, quiet: true });
    this.#quitArmed = true;
    this.#update({ menuNotice: 'Press Ctrl+C again to leave (or choose Quit).' });
  }

  /** The operator confirmed, in the dialog, to stop the step it names. */
  confirmStop(): void {
    if (this.#snapshot.interrupt === 'asking') this.#interruptStep();
  }

  /** The operator chose, in the dialog, to let the run go on. */
  continueRun(): void {
    if (this.#snapshot.interrupt === 'asking') this.#update({ interrupt: 'idle', dialog: undefined });
  }

  /** A signal from outside (SIGTERM, or SIGINT sent by `kill`): stop the run, or leave the menu. */
  terminate(signal: Signal): void {
    this.#terminated = true;
    const { phase } = this.#snapshot;
    if (phase === 'done') return;
    if (phase === 'menu') return this.#finish({ exitCode: SIGNAL_EXIT[signal], quiet: true });
    this.#abort(signal);
  }

  /** Leave from the menu without running anything. */
  quit(): void {
    if (this.#snapshot.phase === 'menu') this.#finish({ exitCode: ExitCode.ok, quiet: true });
  }

  /** The run is over: with `returnToMenu`, its history and summary stay on screen above the menu. */
  #backToMenu(end: Pick<SessionSnapshot, 'result' | 'failure' | 'exitCode'>): void {
    const snapshot = { ...this.#snapshot, ...end };
    const number = snapshot.runNumber;
    const transcript: TranscriptItem[] = [
      ...snapshot.transcript,
      ...snapshot.run.log.map((entry): TranscriptItem => ({ kind: 'log', key: `${number}-${entry.key}`, entry })),
      { kind: 'summary', key: `${number}-summary`, summary: summarise(snapshot) },
    ];
    this.interactor.closeAll();
    this.#control = undefined;
    this.#update({ ...end, phase: 'menu', transcript, run: initialRunState, interrupt: 'idle', dialog: undefined });
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
    const menuAgain = this.options.returnToMenu && !end.quiet && this.#snapshot.phase !== 'menu' && !this.#terminated;
    if (menuAgain) return this.#backToMenu(end);
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
