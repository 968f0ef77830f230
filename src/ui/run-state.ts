/**
 * What the run screen shows, folded from the engine's events (a pure reducer, no React). Finished things go to
 * `log` (rendered once, in <Static>); `current` is the live area.
 */
import type { PlannedStep, RunEvent, RunFinished, RunMode, StepOutcome } from '../engine/events.js';
import { addSample, rateOf, type RateSample } from '../core/rate-window.js';
import { cleanOutputLines } from './format.js';

export const TAIL_LINES = 6;

export interface RunHeader {
  runId: string;
  runbook: string;
  title: string;
  mode: RunMode;
  dryRun: boolean;
  resumedFrom?: string;
}

export type LogEntry =
  | ({ kind: 'header'; key: string } & RunHeader)
  | {
      kind: 'step';
      key: string;
      stepId: string;
      title: string;
      outcome: StepOutcome;
      durationMs: number;
      attempts: number;
      destructive: boolean;
      message?: string;
      hint?: string;
    }
  | { kind: 'answer'; key: string; name: string; summary: string }
  | { kind: 'note'; key: string; text: string; level?: 'warn' | 'note' };

export interface CurrentStep {
  stepId: string;
  title: string;
  index: number;
  destructive: boolean;
  attempt: number;
  startedAtMs: number;
  progress?: { done: number; total?: number; unit?: string; label?: string; etaMs?: number; ratePerSecond?: number };
  /** The last seconds of a progress in bytes that came without a rate (an upload, a download): the rate drawn. */
  rateSamples?: RateSample[];
  tail: string[];
  /** What stopping the step now would leave, as the step last said (an output of kind `phase`). */
  phase?: string;
}

export interface RunState {
  header?: RunHeader;
  plan: PlannedStep[];
  log: LogEntry[];
  current?: CurrentStep;
  /** Highest plan index started or finished so far: later steps are pending. */
  reached: number;
  /** Warnings and result notes of the run, in order: kept in the history and repeated in the summary. */
  notes: string[];
  /**
   * What stopping the run now would leave, as a step last said (an output of kind `phase`). Kept across steps:
   * the point it describes (a restore's swap) is passed once, and later steps do not take it back.
   */
  phase?: string;
  finished?: RunFinished;
}

export const initialRunState: RunState = { plan: [], log: [], reached: -1, notes: [] };

function timeOf(at: string): number {
  const parsed = Date.parse(at);
  return Number.isNaN(parsed) ? Date.now() : parsed;
}

type EventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

function runStarted(state: RunState, event: EventOf<'run-started'>, key: string): RunState {
  const header: RunHeader = {
    runId: event.runId,
    runbook: event.runbook,
    title: event.title,
    mode: event.mode,
    dryRun: event.dryRun,
    ...(event.resumedFrom ? { resumedFrom: event.resumedFrom } : {}),
  };
  return { ...state, header, plan: event.steps, log: [...state.log, { kind: 'header', key, ...header }] };
}

function stepStarted(state: RunState, event: EventOf<'step-started'>): RunState {
  return {
    ...state,
    reached: Math.max(state.reached, event.index),
    current: {
      stepId: event.stepId,
      title: event.title,
      index: event.index,
      destructive: event.destructive,
      attempt: event.attempt,
      startedAtMs: timeOf(event.at),
      tail: [],
    },
  };
}

/** The progress drawn; a transfer in bytes without a rate of its own gets one measured from its updates. */
function stepProgress(current: CurrentStep, event: EventOf<'step-progress'>): CurrentStep {
  const { done, total, unit, label, etaMs, ratePerSecond } = event;
  const progress = { done, total, unit, label, etaMs, ratePerSecond };
  if (ratePerSecond !== undefined || unit !== 'bytes') return { ...current, progress };
  const previous = current.progress;
  // Another file (another label) or a transfer that started again starts a new measure.
  const same = previous?.label === label && previous?.unit === unit && previous.done <= done;
  const rateSamples = addSample(same ? (current.rateSamples ?? []) : [], { at: timeOf(event.at), done });
  const measured = rateOf(rateSamples);
  return { ...current, progress: { ...progress, ratePerSecond: measured }, rateSamples };
}

function stepOutput(state: RunState, event: EventOf<'step-output'>, key: string): RunState {
  const lines = cleanOutputLines(event.text);
  // Warnings and result notes outlive the step: into the history at once, and into the summary.
  if (event.stream === 'warn' || event.kind === 'note') {
    const level = event.stream === 'warn' ? 'warn' : 'note';
    const text = level === 'warn' ? `⚠ ${lines.join(' ')}` : lines.join('\n');
    return { ...state, log: [...state.log, { kind: 'note', key, text, level }], notes: [...state.notes, text] };
  }
  const said = event.kind === 'phase' ? lines.join(' ') : undefined;
  const run = said ? { ...state, phase: said } : state;
  if (state.current?.stepId !== event.stepId) return run; // other output outside the running step
  const tail = [...state.current.tail, ...lines].slice(-TAIL_LINES);
  const phase = said ?? state.current.phase;
  return { ...run, current: { ...state.current, tail, ...(phase ? { phase } : {}) } };
}

function stepFinished(state: RunState, event: EventOf<'step-finished'>, key: string): RunState {
  const index = state.plan.findIndex((step) => step.id === event.stepId);
  const planned = state.plan[index];
  const wasCurrent = state.current?.stepId === event.stepId ? state.current : undefined;
  const entry: LogEntry = {
    kind: 'step',
    key,
    stepId: event.stepId,
    title: wasCurrent?.title ?? planned?.title ?? event.stepId,
    outcome: event.outcome,
    durationMs: event.durationMs,
    attempts: event.attempts,
    destructive: wasCurrent?.destructive ?? planned?.destructive ?? false,
    ...(event.message ? { message: event.message } : {}),
    ...(event.hint ? { hint: event.hint } : {}),
  };
  const { current: _finished, ...rest } = state;
  return {
    ...(wasCurrent ? rest : state),
    reached: Math.max(state.reached, index),
    log: [...state.log, entry],
  };
}

export function reduceRunEvent(state: RunState, event: RunEvent): RunState {
  const key = `${state.log.length}`;
  switch (event.type) {
    case 'run-started':
      return runStarted(state, event, key);
    case 'step-started':
      return stepStarted(state, event);
    case 'step-output':
      return stepOutput(state, event, key);
    case 'step-progress':
      return state.current?.stepId === event.stepId ? { ...state, current: stepProgress(state.current, event) } : state;
    case 'step-finished':
      return stepFinished(state, event, key);
    case 'gate-opened':
      return state;
    case 'gate-answered':
      return { ...state, log: [...state.log, { kind: 'answer', key, name: event.name, summary: event.summary }] };
    case 'run-finished': {
      const { current: _stopped, ...rest } = state;
      return { ...rest, finished: event };
    }
  }
}

/** Steps not reached yet, in plan order. */
export function pendingSteps(state: RunState): PlannedStep[] {
  return state.plan.filter((step, index) => index > state.reached && step.id !== state.current?.stepId);
}
