/** One step of a run: resumed or skipped, its gates (destruction, confirmation), its attempts and its result. */
import { AnswerRequiredError, ExitCode, RunbookError } from '../core/errors.js';
import type { AnyAction } from './action.js';
import { noteReadOnlyInDryRun, undecidedInDryRun, unrunnableInDryRun, wouldInDryRun } from './plan-dry-run.js';
import type { StepOutcome } from './events.js';
import type { Run } from './run-state.js';
import { now } from './run-state.js';
import type { RunbookStep } from './runbook-schema.js';
import { runStep, type StepAttemptResult } from './step-runner.js';
import { evaluateCondition, referencesIn, resolveTemplates } from './template.js';

export async function runOne(run: Run, step: RunbookStep, index: number): Promise<void> {
  const action = run.options.actions.find(step.action);
  if (!action) throw new RunbookError(`unknown action ${step.action}`, { exitCode: ExitCode.usage });
  if (await doneInEarlierRun(run, step, action)) return;
  const undecided = run.options.dryRun ? undecidedInDryRun(run, step) : undefined;
  if (undecided) return skip(run, step, undecided);
  if (step.when && !evaluateCondition(step.when, run.scope)) return skip(run, step, `condition not met: ${step.when}`);
  if (run.options.dryRun && !action.readOnly) return skip(run, step, wouldInDryRun(run, step, action));
  if (run.options.dryRun) noteReadOnlyInDryRun(run, step);
  await checkDestruction(run, step);
  await askGate(run, step);
  const began = Date.now();
  const result = await attempt(run, step, action, index);
  const unrunnable = run.options.dryRun ? unrunnableInDryRun(run, step, action, result) : undefined;
  if (unrunnable) return skip(run, step, unrunnable);
  finish(run, step, action, result, Date.now() - began);
}

function skip(
  run: Run,
  step: RunbookStep,
  message: string,
  data?: Record<string, unknown>,
  outcome: StepOutcome = 'skipped',
): void {
  run.state.steps[step.id] = { outcome, data: data ?? {} };
  run.emit({
    type: 'step-finished',
    runId: run.runId,
    stepId: step.id,
    outcome,
    durationMs: 0,
    attempts: 0,
    message,
    ...(data ? { data } : {}),
    at: now(),
  });
}

/** On --resume: a step that finished in the earlier run and still stands is not run again. */
async function doneInEarlierRun(run: Run, step: RunbookStep, action: AnyAction): Promise<boolean> {
  const previous = run.options.resume?.finished.get(step.id);
  if (previous?.outcome !== 'ok' || action.rerunOnResume) return false;
  const stale = takesDataOf(step).find((id) => run.state.redone.has(id));
  const stands = stale === undefined && (await stillStands(run, step, action, previous.data ?? {}));
  if (stands) {
    // A step done before an earlier resume says so once, not once per resume.
    const said = (previous.message ?? previous.outcome).replace(/^(done in the earlier run: )+/, '');
    skip(run, step, `done in the earlier run: ${said}`, previous.data, 'ok');
    return true;
  }
  const why = stale !== undefined ? `step "${stale}", whose data it takes, ran again` : 'what it left is gone';
  const text = `done in the earlier run, but ${why}: it runs again`;
  run.emit({ type: 'step-output', runId: run.runId, stepId: step.id, stream: 'info', text, at: now() });
  return false;
}

/** A step whose result still stands when its action cannot say otherwise. */
async function stillStands(
  run: Run,
  step: RunbookStep,
  action: AnyAction,
  previous: Record<string, unknown>,
): Promise<boolean> {
  if (!action.stillDone) return true;
  if (step.when && !evaluateCondition(step.when, run.scope)) return true;
  try {
    const params: unknown = action.params.parse(resolveTemplates(step.with, run.scope));
    return await action.stillDone(params, previous, run.contexts.make(step.id, run.signal, run.state.inputs));
  } catch {
    // what the step left cannot be checked (its parameters no longer resolve, the check failed): run it again
    return false;
  }
}

/** The ids of the earlier steps whose data a step takes (`${steps.<id>…}` in its parameters or condition). */
function takesDataOf(step: RunbookStep): string[] {
  const condition = step.when ? [step.when.replace(/^\s*!/, '').split(/\s/)[0] ?? ''] : [];
  const references = [...referencesIn(step.with), ...condition];
  return references.filter((r) => r.startsWith('steps.')).map((r) => r.split('.')[1] ?? '');
}

/** A destructive step needs a confirmation in this process, and asks again if it was cut off in the earlier run. */
async function checkDestruction(run: Run, step: RunbookStep): Promise<void> {
  if (!step.destructive) return;
  if (run.options.resume?.unfinished.has(step.id)) {
    const again = await run.options.interactor.choose(
      {
        kind: 'choice',
        name: `rerun-${step.id}`,
        message: `The destructive step "${step.title}" was running when the run stopped. Run it again?`,
        options: [
          { value: 'no', label: 'No: stop here and inspect the target first' },
          { value: 'yes', label: 'Yes: run it again' },
        ],
      },
      run.signal,
    );
    if (again !== 'yes')
      throw new AnswerRequiredError(
        `rerun-${step.id}`,
        `the destructive step "${step.title}" was running when the run stopped and was not re-run`,
        `inspect the target; to run it again answer rerun-${step.id}: yes`,
      );
  }
  if (!run.contexts.hasConfirmation()) {
    throw new AnswerRequiredError(
      'confirm',
      `the destructive step "${step.title}" has no confirmation in this run`,
      'a confirm step with destructive: true must come before it (resumed runs confirm again)',
    );
  }
}

async function askGate(run: Run, step: RunbookStep): Promise<void> {
  if (!step.confirm) return;
  const name = `gate-${step.id}`;
  await run.options.interactor.confirm(
    {
      kind: 'confirm',
      name,
      message: String(resolveTemplates(step.confirm, run.scope)),
      token: 'yes',
      destructive: false,
      details: [],
      targetNamedByInvocation: false,
    },
    run.signal,
  );
  run.emit({ type: 'gate-answered', runId: run.runId, stepId: step.id, name, summary: 'confirmed', at: now() });
}

async function attempt(run: Run, step: RunbookStep, action: AnyAction, index: number): Promise<StepAttemptResult> {
  const { hooks, runId } = run;
  hooks.setCurrent({
    stepId: step.id,
    title: step.title,
    destructive: step.destructive,
    ...(step.onInterrupt ? { onInterrupt: step.onInterrupt } : {}),
  });
  const params = resolveTemplates(step.with, run.scope);
  // What the step answered when it last ended well: a later failed attempt holds no answers to offer again.
  const previous = run.options.resume?.lastOk.get(step.id) ?? run.options.resume?.finished.get(step.id);
  const earlier = previous ? { outcome: previous.outcome, data: previous.data ?? {} } : undefined;
  const started = { runId, stepId: step.id, index, title: step.title, action: step.action };
  try {
    return await runStep(
      step,
      action,
      params,
      (signal) => run.contexts.make(step.id, signal, run.state.inputs, earlier),
      {
        runSignal: step.always ? new AbortController().signal : run.signal,
        attemptStarted: (n) =>
          run.emit({ type: 'step-started', ...started, destructive: step.destructive, attempt: n, at: now() }),
        newStepController: () => {
          const controller = new AbortController();
          if (!step.always)
            run.signal.addEventListener('abort', () => controller.abort(run.signal.reason), { once: true });
          hooks.setStepController(controller);
          return controller;
        },
        askRetryAfterInterrupt: () => askRetry(run, step),
      },
    );
  } finally {
    hooks.setStepController(undefined);
    hooks.setCurrent(undefined);
  }
}

async function askRetry(run: Run, step: RunbookStep): Promise<boolean> {
  if (run.options.mode === 'headless' || run.signal.aborted) return false;
  const choice = await run.options.interactor
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
      run.signal,
    )
    .catch(() => 'stop');
  return choice === 'retry';
}

function finish(run: Run, step: RunbookStep, action: AnyAction, result: StepAttemptResult, durationMs: number): void {
  if (run.options.resume && !action.rerunOnResume) run.state.redone.add(step.id);
  run.state.steps[step.id] = { outcome: result.outcome, data: result.data ?? {} };
  run.emit({
    type: 'step-finished',
    runId: run.runId,
    stepId: step.id,
    outcome: result.outcome,
    durationMs,
    attempts: result.attempts,
    ...(result.message ? { message: result.message } : {}),
    ...(result.hint ? { hint: result.hint } : {}),
    ...(result.data ? { data: result.data } : {}),
    at: now(),
  });
  if (result.outcome === 'ok' || result.outcome === 'skipped') return;
  const error = result.error ?? new RunbookError(result.message ?? 'failed');
  if (step.continueOnError && result.outcome === 'failed') {
    // Keep going so that the remaining steps still run and report; the run fails at the end.
    run.state.defer({ error, message: `${step.title}: ${result.message ?? 'failed'}`, hint: result.hint });
    return;
  }
  run.state.fail(error, `${step.title}: ${result.message ?? result.outcome}`, result.hint);
}
