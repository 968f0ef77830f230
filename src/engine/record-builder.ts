/**
 * Builds a run's record from its events: the same shape interactive and headless. Steps may contribute
 * record fields by returning `data.record` (an object merged into `details`): the drill's RTO, the dump
 * and key era involved. Signing and the hash chain are done by the record store.
 */
import { hostname, userInfo } from 'node:os';
import type { RunEvent, RunFinished, RunStarted, StepOutcome } from './events.js';

export interface RecordStep {
  id: string;
  title: string;
  action: string;
  destructive: boolean;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  outcome: StepOutcome | 'not-run';
  attempts: number;
  message?: string;
  data?: Record<string, unknown>;
}

export interface RunRecordDraft extends Record<string, unknown> {
  schema: 'obexal-runbook-record@v1';
  runId: string;
  runbook: string;
  title: string;
  runbookSha256: string;
  mode: string;
  resumedFrom?: string;
  outcome: string;
  exitCode: number;
  message?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  inputs: Record<string, string>;
  steps: RecordStep[];
  gates: { stepId: string; name: string; summary: string; at: string }[];
  details: Record<string, unknown>;
  operator: string;
  host: string;
  toolVersion: string;
}

export class RecordBuilder {
  private started: RunStarted | undefined;
  private readonly steps = new Map<string, RecordStep>();
  private readonly gates: RunRecordDraft['gates'] = [];
  private readonly details: Record<string, unknown> = {};

  constructor(private readonly toolVersion: string) {}

  readonly listener = (event: RunEvent): void => {
    switch (event.type) {
      case 'run-started':
        this.started = event;
        for (const s of event.steps) {
          this.steps.set(s.id, {
            id: s.id,
            title: s.title,
            action: s.action,
            destructive: s.destructive,
            outcome: 'not-run',
            attempts: 0,
          });
        }
        break;
      case 'step-started': {
        const step = this.steps.get(event.stepId);
        if (step) Object.assign(step, { startedAt: step.startedAt ?? event.at, attempts: event.attempt });
        break;
      }
      case 'step-finished': {
        const step = this.steps.get(event.stepId);
        if (!step) break;
        const { record, ...data } = event.data ?? {};
        Object.assign(step, {
          finishedAt: event.at,
          durationMs: event.durationMs,
          outcome: event.outcome,
          attempts: event.attempts,
          message: event.message,
          data: Object.keys(data).length ? data : undefined,
        });
        if (record && typeof record === 'object') Object.assign(this.details, record);
        break;
      }
      case 'gate-answered':
        this.gates.push({ stepId: event.stepId, name: event.name, summary: event.summary, at: event.at });
        break;
      default:
        break;
    }
  };

  build(finished: RunFinished): RunRecordDraft {
    const started = this.started;
    if (!started) throw new Error('record requested before the run started');
    return {
      schema: 'obexal-runbook-record@v1',
      runId: started.runId,
      runbook: started.runbook,
      title: started.title,
      runbookSha256: started.runbookSha256,
      mode: started.mode,
      ...(started.resumedFrom ? { resumedFrom: started.resumedFrom } : {}),
      outcome: finished.outcome,
      exitCode: finished.exitCode,
      ...(finished.message ? { message: finished.message } : {}),
      startedAt: started.at,
      finishedAt: finished.at,
      durationMs: finished.durationMs,
      inputs: started.inputs,
      steps: [...this.steps.values()],
      gates: this.gates,
      details: this.details,
      operator: operatorName(),
      host: hostname(),
      toolVersion: this.toolVersion,
    };
  }
}

function operatorName(): string {
  try {
    return process.env.SUDO_USER || userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
