/**
 * The engine: runs a runbook as a stream of typed events. It imports no UI. Renderers subscribe to events
 * and steer the run through `RunControl`; every wait for a person goes through the Interactor.
 */
import { randomBytes } from 'node:crypto';
import {
  AnswerRequiredError,
  ExitCode,
  InterruptedError,
  exitCodeOf,
  messageOf,
  RunbookError,
} from '../core/errors.js';
import { redact, redactValue } from '../core/redact.js';
import type { Settings } from '../core/settings.js';
import { findAction } from '../actions/registry.js';
import type { StepState } from './action.js';
import type { RunEvent, RunEventListener, RunFinished, RunMode, RunOutcome, StepOutcome } from './events.js';
import type { Interactor } from './interactor.js';
import { Journal, journalPath, type JournalReplay } from './journal.js';
import { RecordBuilder, type RunRecordDraft } from './record-builder.js';
import type { RunControl, RunResult, StartedRun } from './run-control.js';
import { describeEnding } from './ending.js';
import { planSteps } from './plan.js';
import { resolveInputs } from './inputs.js';
import { assertRequirements, requirementLines } from './requirements.js';
import { RunContextFactory } from './run-context.js';
import { runStep } from './step-runner.js';
import type { Runbook, RunbookStep } from './runbook-schema.js';
import { evaluateCondition, referencesIn, resolveTemplates, type TemplateScope } from './template.js';

export interface RecordWriter {
  /** `copy`: how the copy to the bucket went, when there is one to report (a warning, never a failure). */
  (record: RunRecordDraft): Promise<{ path: string; verified: boolean; copy?: { ok: boolean; text: string } }>;
}

export interface EngineOptions {
  runbook: Runbook;
  settings: Settings;
  interactor: Interactor;
  mode: RunMode;
  dryRun: boolean;
  /** Values given on the command line or in the answers file, by input name. */
  inputValues: Record<string, string>;
  /** Setting names this invocation named itself (its environment or flags), for DESIGN §3's confirmation rule. */
  namedByInvocation: ReadonlySet<string>;
  runsDir: string;
  resume?: JournalReplay;
  writeRecord?: RecordWriter;
  /** How the operator names this runbook on the command line (for the `--resume` command); its name by default. */
  command?: string;
  toolVersion: string;
  listeners: RunEventListener[];
}

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

  const done = execute(options, runId, runController, {
    setStepController: (c) => (stepController = c),
    setCurrent: (c) => (current = c),
  });
  return { control, done };
}

interface EngineHooks {
  setStepController(controller: AbortController | undefined): void;
  setCurrent(current: ReturnType<RunControl['current']>): void;
}

async function execute(
  options: EngineOptions,
  runId: string,
  runController: AbortController,
  hooks: EngineHooks,
): Promise<RunResult> {
  const { runbook, settings, mode, dryRun } = options;
  const startedAt = Date.now();
  const journal = dryRun ? undefined : new Journal(journalPath(options.runsDir, runId));
  const recordBuilder = new RecordBuilder(options.toolVersion);
  const listeners = [...options.listeners, recordBuilder.listener];
  const emit = (event: RunEvent) => {
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
  const at = () => new Date().toISOString();
  const runSignal = runController.signal;
  const steps: Record<string, StepState> = {};
  const contexts = new RunContextFactory({
    runId,
    runbook: runbook.name,
    mode,
    dryRun,
    resumed: Boolean(options.resume),
    settings,
    interactor: options.interactor,
    namedByInvocation: options.namedByInvocation,
    emit,
    steps,
  });

  let outcome: RunOutcome = 'ok';
  let exitCode: number = ExitCode.ok;
  let failureMessage: string | undefined;
  let failureHint: string | undefined;
  const fail = (error: unknown, message?: string, hint?: string) => {
    if (outcome !== 'ok') return;
    const code = exitCodeOf(error);
    outcome =
      code === ExitCode.answerRequired ? 'refused' : error instanceof InterruptedError ? 'interrupted' : 'failed';
    exitCode = code;
    failureMessage = redact(message ?? messageOf(error));
    failureHint = hint ?? (error instanceof RunbookError ? error.hint : undefined);
  };

  let deferred: { error: unknown; message: string; hint?: string } | undefined;
  /** Steps of a resumed run that ran again in this process: a finished step that takes their data runs again. */
  const redone = new Set<string>();
  let inputs: Record<string, unknown> = {};
  try {
    journal?.open();
    inputs = await resolveInputs(runbook, options, contexts.secrets, runSignal);
    const scope: TemplateScope = { inputs, steps, settings: (n) => settings.get(n), run: { id: runId, mode } };
    const publicInputs = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, redact(String(v))]));
    journal?.write({
      type: 'journal-header',
      runId,
      runbook: runbook.name,
      runbookFile: runbook.file,
      runbookSha256: runbook.sha256,
      inputs: publicInputs,
      startedAt: at(),
    });
    emit({
      type: 'run-started',
      runId,
      runbook: runbook.name,
      title: runbook.title,
      runbookSha256: runbook.sha256,
      mode,
      dryRun,
      ...(options.resume ? { resumedFrom: runId } : {}),
      inputs: publicInputs,
      steps: planSteps(runbook, scope),
      at: at(),
    });
    // The settings the runbook names in `requires:`: one error naming every missing one, before the first step.
    if (!dryRun) assertRequirements(runbook, settings);
    else
      for (const line of requirementLines(runbook, settings))
        emit({
          type: 'step-output',
          runId,
          stepId: '(requires)',
          stream: line.missing ? 'warn' : 'info',
          text: line.text,
          at: at(),
        });

    for (const [index, step] of runbook.steps.entries()) {
      // After a failure only teardown (`always`) steps run; the others stay "not run" in the record.
      if (outcome !== 'ok' && !step.always) continue;
      const result = await runOne(step, index, scope);
      if (result === 'stop') break;
    }
  } catch (error) {
    // Ctrl+C at a question asked before any step (an input): the ask rejects with an AbortError; the run was
    // interrupted by the operator, it did not fail.
    fail(runSignal.aborted && !(error instanceof RunbookError) ? (runSignal.reason ?? error) : error);
  } finally {
    if (deferred) fail(deferred.error, deferred.message, deferred.hint);
    hooks.setCurrent(undefined);
    for (const warning of await contexts.cleanup())
      emit({ type: 'step-output', runId, stepId: '(cleanup)', stream: 'warn', text: warning, at: at() });
  }

  const resumeCommand = dryRun ? undefined : `obexal-runbook ${options.command ?? runbook.name} --resume ${runId}`;
  const ending = describeEnding(runbook, steps, {
    outcome,
    resumeCommand,
    application: contexts.applicationState,
    appStartCommand: settings.get('APP_START_COMMAND'),
  });
  const finished: RunFinished = {
    type: 'run-finished',
    runId,
    outcome,
    exitCode,
    durationMs: Date.now() - startedAt,
    ...(failureMessage ? { message: failureMessage } : {}),
    ...(failureHint ? { hint: failureHint } : {}),
    ...(ending ? { ending } : {}),
    at: at(),
  };
  let recordPath: string | undefined;
  let recordVerified: boolean | undefined;
  if (!dryRun && options.writeRecord && recordBuilderReady(recordBuilder)) {
    try {
      const written = await options.writeRecord(recordBuilder.build(finished));
      recordPath = written.path;
      recordVerified = written.verified;
      finished.recordPath = recordPath;
      if (written.copy) finished.recordCopy = written.copy;
    } catch (error) {
      finished.message =
        `${finished.message ? `${finished.message}; ` : ''}the record could not be ` +
        `written: ${redact(messageOf(error))}`;
      finished.hint =
        'check RECORDS_DIR and the signing key (`obexal-runbook config`); the journal keeps every event of this run';
      if (finished.exitCode === 0) finished.exitCode = ExitCode.stepFailed;
      if (finished.outcome === 'ok') finished.outcome = 'failed';
    }
  }
  emit(finished);
  journal?.close();
  return {
    runId,
    outcome: finished.outcome,
    exitCode: finished.exitCode,
    message: finished.message,
    hint: finished.hint,
    recordPath,
    recordVerified,
    recordCopy: finished.recordCopy,
    journalPath: journal?.path,
  };

  /** A step whose result still stands when its action cannot say otherwise. */
  async function stillStands(
    step: RunbookStep,
    action: NonNullable<ReturnType<typeof findAction>>,
    previous: Record<string, unknown>,
    scope: TemplateScope,
  ): Promise<boolean> {
    if (!action.stillDone) return true;
    if (step.when && !evaluateCondition(step.when, scope)) return true;
    try {
      const params = action.params.parse(resolveTemplates(step.with, scope));
      return await action.stillDone(params, previous, contexts.make(step.id, runSignal, inputs));
    } catch {
      return false;
    }
  }

  async function runOne(step: RunbookStep, index: number, scope: TemplateScope): Promise<'next' | 'stop'> {
    const action = findAction(step.action);
    const skip = (message: string, data?: Record<string, unknown>, outcomeOf: StepOutcome = 'skipped') => {
      steps[step.id] = { outcome: outcomeOf, data: data ?? {} };
      emit({
        type: 'step-finished',
        runId,
        stepId: step.id,
        outcome: outcomeOf,
        durationMs: 0,
        attempts: 0,
        message,
        ...(data ? { data } : {}),
        at: at(),
      });
      return 'next' as const;
    };
    if (!action) throw new RunbookError(`unknown action ${step.action}`, { exitCode: ExitCode.usage });

    const previous = options.resume?.finished.get(step.id);
    if (previous?.outcome === 'ok' && !action.rerunOnResume) {
      const stale = takesDataOf(step).find((id) => redone.has(id));
      const stands = stale === undefined && (await stillStands(step, action, previous.data ?? {}, scope));
      if (stands) return skip(`done in the earlier run: ${previous.message ?? previous.outcome}`, previous.data, 'ok');
      const why = stale !== undefined ? `step "${stale}", whose data it takes, ran again` : 'what it left is gone';
      const text = `done in the earlier run, but ${why}: it runs again`;
      emit({ type: 'step-output', runId, stepId: step.id, stream: 'info', text, at: at() });
    }
    if (step.when && !evaluateCondition(step.when, scope)) return skip(`condition not met: ${step.when}`);
    if (dryRun && !action.readOnly) {
      return skip(
        `dry run: ` +
          `would ${action.describe ? action.describe(resolveTemplates(step.with, scope) as never, { settings, inputs, steps }) : step.action}`,
      );
    }
    if (options.resume?.unfinished.has(step.id) && step.destructive) {
      const again = await options.interactor.choose(
        {
          kind: 'choice',
          name: `rerun-${step.id}`,
          message: `The destructive step "${step.title}" was running when the run stopped. Run it again?`,
          options: [
            { value: 'no', label: 'No: stop here and inspect the target first' },
            { value: 'yes', label: 'Yes: run it again' },
          ],
        },
        runSignal,
      );
      if (again !== 'yes')
        throw new AnswerRequiredError(
          `rerun-${step.id}`,
          `the destructive step "${step.title}" was running when the run stopped and was not re-run`,
          `inspect the target; to run it again answer rerun-${step.id}: yes`,
        );
    }
    if (step.destructive && !contexts.hasConfirmation()) {
      throw new AnswerRequiredError(
        'confirm',
        `the destructive step "${step.title}" has no confirmation in this run`,
        'a confirm step with destructive: true must come before it (resumed runs confirm again)',
      );
    }
    if (step.confirm) {
      await options.interactor.confirm(
        {
          kind: 'confirm',
          name: `gate-${step.id}`,
          message: String(resolveTemplates(step.confirm, scope)),
          token: 'yes',
          destructive: false,
          details: [],
          targetNamedByInvocation: false,
        },
        runSignal,
      );
      emit({ type: 'gate-answered', runId, stepId: step.id, name: `gate-${step.id}`, summary: 'confirmed', at: at() });
    }

    hooks.setCurrent({
      stepId: step.id,
      title: step.title,
      destructive: step.destructive,
      ...(step.onInterrupt ? { onInterrupt: step.onInterrupt } : {}),
    });
    const began = Date.now();
    const params = resolveTemplates(step.with, scope);
    const earlier = previous ? { outcome: previous.outcome, data: previous.data ?? {} } : undefined;
    const result = await runStep(step, action, params, (signal) => contexts.make(step.id, signal, inputs, earlier), {
      runSignal: step.always ? new AbortController().signal : runSignal,
      attemptStarted: (attempt) =>
        emit({
          type: 'step-started',
          runId,
          stepId: step.id,
          index,
          title: step.title,
          action: step.action,
          destructive: step.destructive,
          attempt,
          at: at(),
        }),
      newStepController: () => {
        const controller = new AbortController();
        if (!step.always) runSignal.addEventListener('abort', () => controller.abort(runSignal.reason), { once: true });
        hooks.setStepController(controller);
        return controller;
      },
      askRetryAfterInterrupt: async () => {
        if (mode === 'headless' || runSignal.aborted) return false;
        const choice = await options.interactor
          .choose(
            {
              kind: 'choice',
              name: `after-interrupt-${step.id}`,
              message: `"${step.title}" was interrupted.${step.onInterrupt ? ` ${step.onInterrupt}` : ''} What now?`,
              options: [
                { value: 'stop', label: 'Stop the run (cleanup runs)' },
                { value: 'retry', label: 'Run the step again' },
              ],
              default: 'stop',
            },
            runSignal,
          )
          .catch(() => 'stop');
        return choice === 'retry';
      },
    });
    hooks.setStepController(undefined);
    hooks.setCurrent(undefined);
    if (options.resume && !action.rerunOnResume) redone.add(step.id);
    steps[step.id] = { outcome: result.outcome, data: result.data ?? {} };
    emit({
      type: 'step-finished',
      runId,
      stepId: step.id,
      outcome: result.outcome,
      durationMs: Date.now() - began,
      attempts: result.attempts,
      ...(result.message ? { message: result.message } : {}),
      ...(result.hint ? { hint: result.hint } : {}),
      ...(result.data ? { data: result.data } : {}),
      at: at(),
    });
    if (result.outcome === 'ok' || result.outcome === 'skipped') return 'next';
    if (step.continueOnError && result.outcome === 'failed') {
      // Keep going so that the remaining steps still run and report; the run fails at the end.
      deferred ??= {
        error: result.error ?? new RunbookError(result.message ?? 'failed'),
        message: `${step.title}: ${result.message ?? 'failed'}`,
        hint: result.hint,
      };
      return 'next';
    }
    fail(
      result.error ?? new RunbookError(result.message ?? 'failed'),
      `${step.title}: ${result.message ?? result.outcome}`,
      result.hint,
    );
    return 'next';
  }
}

/** The ids of the earlier steps whose data a step takes (`${steps.<id>…}` in its parameters or condition). */
function takesDataOf(step: RunbookStep): string[] {
  const condition = step.when ? [step.when.replace(/^\s*!/, '').split(/\s/)[0] ?? ''] : [];
  const references = [...referencesIn(step.with), ...condition];
  return references.filter((r) => r.startsWith('steps.')).map((r) => r.split('.')[1] ?? '');
}

function recordBuilderReady(builder: RecordBuilder): boolean {
  try {
    builder.build({ type: 'run-finished', runId: '', outcome: 'ok', exitCode: 0, durationMs: 0, at: '' });
    return true;
  } catch {
    return false;
  }
}
