/**
 * The engine: runs a runbook as a stream of typed events. It imports no UI and no action: the caller hands it
 * the action catalogue (`EngineOptions.actions`). Renderers subscribe to events and steer the run through
 * `RunControl`; every wait for a person goes through the Interactor.
 */
import { randomBytes } from 'node:crypto';
import { ExitCode, InterruptedError, messageOf, RunbookError } from '../core/errors.js';
import { redact, redactValue } from '../core/redact.js';
import type { RunEvent, RunEventListener, RunFinished } from './events.js';
import { Journal, journalPath } from './journal.js';
import type { EngineOptions } from './options.js';
import { RecordBuilder } from './record-builder.js';
import type { RunControl, RunResult, StartedRun } from './run-control.js';
import { describeEnding } from './ending.js';
import { planSteps } from './plan.js';
import { resolveInputs } from './inputs.js';
import { assertRequirements, requirementLines } from './requirements.js';
import { RunContextFactory } from './run-context.js';
import { runOne } from './run-one.js';
import { now, RunState, type EngineHooks, type Run } from './run-state.js';

export type { EngineOptions, RecordWriter } from './options.js';

export function newRunId(): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function startRun(options: EngineOptions): StartedRun {
  const runId = options.resume?.header.runId ?? newRunId();
  const runController = new AbortController();
  let stepController: AbortController | undefined;
  let current: ReturnType<RunControl['current']>;

  const control: RunControl = {
    interruptStep() {
      if (stepController && !stepController.signal.aborted)
        stepController.abort(new InterruptedError('SIGINT', 'step interrupted'));
      else control.abort('SIGINT');
    },
    abort(signal) {
      if (!runController.signal.aborted) runController.abort(new InterruptedError(signal));
      stepController?.abort(new InterruptedError(signal));
    },
    current: () => current,
  };

  const done = execute(options, runId, runController.signal, {
    setStepController: (c) => (stepController = c),
    setCurrent: (c) => (current = c),
  });
  return { control, done };
}

async function execute(
  options: EngineOptions,
  runId: string,
  signal: AbortSignal,
  hooks: EngineHooks,
): Promise<RunResult> {
  const startedAt = Date.now();
  const journal = options.dryRun ? undefined : new Journal(journalPath(options.runsDir, runId));
  const recordBuilder = new RecordBuilder(options.toolVersion);
  const emit = emitter(journal, [...options.listeners, recordBuilder.listener]);
  const state = new RunState();
  const contexts = new RunContextFactory({
    runId,
    runbook: options.runbook.name,
    mode: options.mode,
    dryRun: options.dryRun,
    resumed: Boolean(options.resume),
    settings: options.settings,
    interactor: options.interactor,
    namedByInvocation: options.namedByInvocation,
    emit,
    steps: state.steps,
  });
  const scope = { inputs: {}, steps: state.steps, settings: () => undefined, run: { id: runId, mode: options.mode } };
  const run: Run = { options, runId, signal, hooks, contexts, state, emit, scope };
  await runSteps(run, journal);
  const finished = finishedEvent(run, Date.now() - startedAt);
  const record = await writeRecord(run, recordBuilder, finished);
  emit(finished);
  journal?.close();
  return { runId, ...resultOf(finished), ...record, journalPath: journal?.path };
}

function emitter(journal: Journal | undefined, listeners: readonly RunEventListener[]): (event: RunEvent) => void {
  return (event) => {
    const clean = redactValue(event);
    journal?.write(clean);
    for (const listener of listeners) {
      try {
        listener(clean);
      } catch {
        // a renderer's fault must not stop a restore half-way
      }
    }
  };
}

/** Inputs, the plan, then every step; after a failure only teardown (`always`) steps run. Cleanup always runs. */
async function runSteps(run: Run, journal: Journal | undefined): Promise<void> {
  const { options, state } = run;
  try {
    journal?.open();
    state.inputs = await resolveInputs(options.runbook, options, run.contexts.secrets, run.signal);
    run.scope = {
      inputs: state.inputs,
      steps: state.steps,
      settings: (name) => options.settings.get(name),
      run: { id: run.runId, mode: options.mode },
    };
    announce(run, journal);
    checkRequirements(run);
    for (const [index, step] of options.runbook.steps.entries()) {
      // The others stay "not run" in the record.
      if (state.outcome !== 'ok' && !step.always) continue;
      await runOne(run, step, index);
    }
  } catch (error) {
    // Ctrl+C at a question asked before any step (an input): the ask rejects with an AbortError; the run was
    // interrupted by the operator, it did not fail.
    state.fail(run.signal.aborted && !(error instanceof RunbookError) ? (run.signal.reason ?? error) : error);
  } finally {
    state.settleDeferred();
    run.hooks.setCurrent(undefined);
    for (const warning of await run.contexts.cleanup())
      run.emit({
        type: 'step-output',
        runId: run.runId,
        stepId: '(cleanup)',
        stream: 'warn',
        text: warning,
        at: now(),
      });
  }
}

/** The journal's header and the run-started event with the plan. */
function announce(run: Run, journal: Journal | undefined): void {
  const { runbook, mode, dryRun, resume, settings, actions } = run.options;
  const publicInputs = Object.fromEntries(Object.entries(run.state.inputs).map(([k, v]) => [k, redact(String(v))]));
  journal?.write({
    type: 'journal-header',
    runId: run.runId,
    runbook: runbook.name,
    runbookFile: runbook.file,
    runbookSha256: runbook.sha256,
    inputs: publicInputs,
    startedAt: now(),
  });
  run.emit({
    type: 'run-started',
    runId: run.runId,
    runbook: runbook.name,
    title: runbook.title,
    runbookSha256: runbook.sha256,
    mode,
    dryRun,
    ...(resume ? { resumedFrom: run.runId } : {}),
    inputs: publicInputs,
    steps: planSteps(runbook, run.scope, { actions, settings }),
    at: now(),
  });
}

/** The settings the runbook names in `requires:`: one error naming every missing one, before the first step. */
function checkRequirements(run: Run): void {
  const { runbook, settings, dryRun } = run.options;
  if (!dryRun) return assertRequirements(runbook, settings);
  for (const line of requirementLines(runbook, settings)) {
    const stream = line.missing ? 'warn' : 'info';
    run.emit({ type: 'step-output', runId: run.runId, stepId: '(requires)', stream, text: line.text, at: now() });
  }
}

function finishedEvent(run: Run, durationMs: number): RunFinished {
  const { options, state } = run;
  const resumeCommand = options.dryRun
    ? undefined
    : `obexal-runbook ${options.command ?? options.runbook.name} --resume ${run.runId}`;
  const ending = describeEnding(options.runbook, state.steps, {
    outcome: state.outcome,
    resumeCommand,
    application: run.contexts.applicationState,
    appStartCommand: options.settings.get('APP_START_COMMAND'),
  });
  return {
    type: 'run-finished',
    runId: run.runId,
    outcome: state.outcome,
    exitCode: state.exitCode,
    durationMs,
    ...(state.failureMessage ? { message: state.failureMessage } : {}),
    ...(state.failureHint ? { hint: state.failureHint } : {}),
    ...(ending ? { ending } : {}),
    at: now(),
  };
}

/** Writes the signed record (not under --dry-run); a record that cannot be written fails the run. */
async function writeRecord(
  run: Run,
  builder: RecordBuilder,
  finished: RunFinished,
): Promise<Pick<RunResult, 'recordPath' | 'recordVerified'>> {
  const { writeRecord: write, dryRun } = run.options;
  if (dryRun || !write || !recordBuilderReady(builder)) return {};
  try {
    const written = await write(builder.build(finished));
    finished.recordPath = written.path;
    if (written.copy) finished.recordCopy = written.copy;
    return { recordPath: written.path, recordVerified: written.verified };
  } catch (error) {
    finished.message =
      `${finished.message ? `${finished.message}; ` : ''}the record could not be ` +
      `written: ${redact(messageOf(error))}`;
    finished.hint =
      'check RECORDS_DIR and the signing key (`obexal-runbook config`); the journal keeps every event of this run';
    if (finished.exitCode === 0) finished.exitCode = ExitCode.stepFailed;
    if (finished.outcome === 'ok') finished.outcome = 'failed';
    return {};
  }
}

function resultOf(finished: RunFinished): Omit<RunResult, 'runId' | 'recordPath' | 'recordVerified' | 'journalPath'> {
  return {
    outcome: finished.outcome,
    exitCode: finished.exitCode,
    message: finished.message,
    hint: finished.hint,
    recordCopy: finished.recordCopy,
  };
}

function recordBuilderReady(builder: RecordBuilder): boolean {
  try {
    builder.build({ type: 'run-finished', runId: '', outcome: 'ok', exitCode: 0, durationMs: 0, at: '' });
    return true;
  } catch {
    // the run ended before run-started (an input was missing): there is nothing to record
    return false;
  }
}
