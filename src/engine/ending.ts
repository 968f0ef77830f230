/**
 * What a run that did not succeed leaves behind, for the last lines an operator reads (issue 17, items 8 and 9):
 * the state of the target (untouched, changed, or a step that changes it stopped half-way), the steps done and
 * the steps left, what the runbook says about stopping at the step where it stopped, and the command that
 * continues the run. Built from the runbook's own `destructive` and `onInterrupt` fields, so it holds for every
 * runbook, built-in or not.
 */
import type { StepState } from './action.js';
import type { RunEnding, RunOutcome } from './events.js';
import type { Runbook } from './runbook-schema.js';

const UNFINISHED = new Set(['failed', 'interrupted', 'timed-out']);

function quoted(titles: string[]): string {
  return titles.map((t) => `"${t}"`).join(', ');
}

export interface EndingFacts {
  outcome: RunOutcome;
  resumeCommand: string | undefined;
  /** The application's state as the run leaves it, and the APP_START_COMMAND that starts it. */
  application: 'stopped' | 'started' | undefined;
  appStartCommand: string | undefined;
}

function applicationLine(facts: EndingFacts): string | undefined {
  if (facts.application !== 'stopped') return undefined;
  const stopped = 'STOPPED by this run (APP_STOP_COMMAND) and not started again';
  return facts.appStartCommand
    ? `${stopped}: start it with APP_START_COMMAND: ${facts.appStartCommand}`
    : `${stopped}: start it by hand (APP_START_COMMAND is not set)`;
}

export function describeEnding(
  runbook: Runbook,
  steps: Readonly<Record<string, StepState>>,
  facts: EndingFacts,
): RunEnding | undefined {
  const { outcome, resumeCommand } = facts;
  const application = applicationLine(facts);
  const destructive = runbook.steps.filter((s) => s.destructive);
  const changedBy = destructive.filter((s) => steps[s.id]?.outcome === 'ok').map((s) => s.title);
  const halfWay = destructive.filter((s) => UNFINISHED.has(steps[s.id]?.outcome ?? '')).map((s) => s.title);
  if (outcome === 'ok') {
    if (changedBy.length === 0 && !application) return undefined;
    const target = changedBy.length > 0 ? `changed by ${quoted(changedBy)}` : 'untouched';
    return { target, done: [], left: [], ...(application ? { application } : {}) };
  }

  let target: string;
  if (halfWay.length > 0) {
    const already = changedBy.length > 0 ? ` (already done: ${quoted(changedBy)})` : '';
    target = `HALF-WAY: ${quoted(halfWay)}, which changes it, did not finish${already}`;
  } else if (changedBy.length > 0) {
    target = `CHANGED: ${quoted(changedBy)} finished before the run stopped`;
  } else {
    target =
      destructive.length > 0
        ? 'untouched: no step that changes it started'
        : 'untouched: this runbook does not change it';
  }
  const stoppedAt = runbook.steps.find((s) => UNFINISHED.has(steps[s.id]?.outcome ?? ''));
  const done = runbook.steps.filter((s) => steps[s.id]?.outcome === 'ok').map((s) => s.id);
  const notFinished = (id: string) => steps[id] === undefined || UNFINISHED.has(steps[id]?.outcome ?? '');
  const left = runbook.steps.filter((s) => !s.always && notFinished(s.id)).map((s) => s.id);
  return {
    target,
    done,
    left,
    ...(stoppedAt ? { stoppedAt: stoppedAt.id } : {}),
    ...(stoppedAt?.onInterrupt ? { atStop: stoppedAt.onInterrupt.trim().replace(/\s+/g, ' ') } : {}),
    // Before any step ran (inputs refused) there is no journal to resume: the hint says what to change instead.
    ...(resumeCommand && left.length > 0 && Object.keys(steps).length > 0 ? { next: resumeCommand } : {}),
    ...(application ? { application } : {}),
  };
}
