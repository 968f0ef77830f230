/**
 * A scripted stand-in for the engine, for the UI's own tests: it records what the UI asked of the RunControl
 * and lets a test emit events and end the run. (The real engine is driven in the end-to-end test.)
 */
import type { PlannedStep, RunEvent, RunEventListener } from '../../src/engine/events.js';
import type { Interactor } from '../../src/engine/interactor.js';
import type { RunControl, RunResult, StartRun } from '../../src/engine/run-control.js';

export type CurrentStep = ReturnType<RunControl['current']>;

export interface FakeEngine {
  startRun: StartRun;
  started: string[];
  interrupts: number;
  aborts: string[];
  current: CurrentStep;
  readonly interactor: Interactor;
  /** The signal the fake engine passes to interactor calls; aborted by `abort`. */
  readonly signal: AbortSignal;
  emit(event: RunEvent): void;
  finish(result: Partial<RunResult>): void;
  /** Resolves once startRun has been called. */
  whenStarted(): Promise<void>;
}

export function fakeEngine(runId = 'run-1'): FakeEngine {
  let listener: RunEventListener | undefined;
  let interactor: Interactor | undefined;
  let resolveDone: ((result: RunResult) => void) | undefined;
  let onStarted: () => void = () => {};
  const startedPromise = new Promise<void>((resolve) => (onStarted = resolve));
  const controller = new AbortController();
  const engine: FakeEngine = {
    started: [],
    interrupts: 0,
    aborts: [],
    current: undefined,
    get interactor() {
      if (!interactor) throw new Error('startRun was not called');
      return interactor;
    },
    signal: controller.signal,
    startRun: async (runbook, givenInteractor, givenListener) => {
      engine.started.push(runbook);
      interactor = givenInteractor;
      listener = givenListener;
      const done = new Promise<RunResult>((resolve) => (resolveDone = resolve));
      onStarted();
      return {
        control: {
          interruptStep: () => void engine.interrupts++,
          abort: (signal) => {
            engine.aborts.push(signal);
            controller.abort(signal);
          },
          current: () => engine.current,
        },
        done,
      };
    },
    emit: (event) => listener?.(event),
    finish: (result) => resolveDone?.({ runId, outcome: 'ok', exitCode: 0, ...result }),
    whenStarted: () => startedPromise,
  };
  return engine;
}

const at = () => new Date().toISOString();

export function plannedStep(id: string, title: string, destructive = false): PlannedStep {
  return { id, title, action: 'shell', destructive, plan: title, willRun: true };
}

export const events = {
  runStarted: (steps: PlannedStep[], runId = 'run-1', title = 'Practice backup'): RunEvent => ({
    type: 'run-started',
    runId,
    runbook: 'backup',
    title,
    runbookSha256: '0'.repeat(64),
    mode: 'interactive',
    dryRun: false,
    inputs: {},
    steps,
    at: at(),
  }),
  stepStarted: (step: PlannedStep, index: number, attempt = 1): RunEvent => ({
    type: 'step-started',
    runId: 'run-1',
    stepId: step.id,
    index,
    title: step.title,
    action: step.action,
    destructive: step.destructive,
    attempt,
    at: at(),
  }),
  output: (stepId: string, text: string, stream: 'stdout' | 'stderr' | 'info' | 'warn' = 'stdout'): RunEvent => ({
    type: 'step-output',
    runId: 'run-1',
    stepId,
    stream,
    text,
    at: at(),
  }),
  progress: (stepId: string, done: number, total?: number, unit?: string): RunEvent => ({
    type: 'step-progress',
    runId: 'run-1',
    stepId,
    done,
    ...(total !== undefined ? { total } : {}),
    ...(unit ? { unit } : {}),
    at: at(),
  }),
  stepFinished: (
    stepId: string,
    outcome: 'ok' | 'failed' | 'skipped' | 'timed-out' | 'interrupted',
    extra: { message?: string; hint?: string; durationMs?: number } = {},
  ): RunEvent => ({
    type: 'step-finished',
    runId: 'run-1',
    stepId,
    outcome,
    durationMs: extra.durationMs ?? 1_234,
    attempts: 1,
    ...(extra.message ? { message: extra.message } : {}),
    ...(extra.hint ? { hint: extra.hint } : {}),
    at: at(),
  }),
  runFinished: (exitCode: number, durationMs = 64_000): RunEvent => ({
    type: 'run-finished',
    runId: 'run-1',
    outcome: exitCode === 0 ? 'ok' : 'failed',
    exitCode,
    durationMs,
    at: at(),
  }),
};
