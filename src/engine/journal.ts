/**
 * The journal: JSONL of a run's events, written synchronously line by line (a crash loses at most the line
 * being written), 0600 in a 0700 folder. `--resume` replays it.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { redactValue } from '../core/redact.js';
import { ResumeRefusedError, UsageError } from '../core/errors.js';
import type { RunEvent, StepFinished } from './events.js';

export interface JournalHeader {
  type: 'journal-header';
  runId: string;
  runbook: string;
  runbookFile: string;
  runbookSha256: string;
  inputs: Record<string, string>;
  startedAt: string;
}

export type JournalLine = JournalHeader | RunEvent;

/** A run id as `newRunId` makes it: `<UTC stamp>-<6 hex digits>` (it names a file: nothing else may pass). */
export const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** Checks a run id given by a person (`--resume`) before it is used in a path; exit 2 when it is not one. */
export function validateRunId(runId: string): string {
  if (RUN_ID.test(runId)) return runId;
  throw new UsageError(
    `"${runId}" is not a run id: expected one such as 20261202T170842Z-c835bc`,
    '`obexal-runbook runs list` shows the runs and their ids',
  );
}

export function journalPath(runsDir: string, runId: string): string {
  return join(runsDir, `${validateRunId(runId)}.jsonl`);
}

export class Journal {
  private fd: number | undefined;
  constructor(readonly path: string) {}

  open(): void {
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
    this.fd = openSync(this.path, 'a', 0o600);
  }

  write(line: JournalLine): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify(redactValue(line))}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface JournalReplay {
  header: JournalHeader;
  /** Steps whose last state in the journal is finished, with their outcome and data. */
  finished: Map<string, StepFinished>;
  /**
   * The last ok finish of each step, even when a later attempt failed: the answers it holds (the dump, the key era
   * chosen) are what a resumed step offers again.
   */
  lastOk: Map<string, StepFinished>;
  /** Steps that started and never finished since: a run stopped during them. */
  runningWhenStopped: Set<string>;
  /**
   * Steps that did not finish however the run stopped: running when the process died (SIGKILL), or journalled as
   * interrupted or timed out (Ctrl+C, SIGTERM, a timeout). A destructive one is never re-run without an answer.
   */
  unfinished: Set<string>;
  lastOutcome: string | undefined;
}

export function readJournal(path: string): JournalReplay {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ResumeRefusedError(
      `no journal at ${path}`,
      '`obexal-runbook runs list` shows the runs that can be resumed',
    );
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parsed: JournalLine[] = [];
  for (const line of lines) {
    try {
      parsed.push(JSON.parse(line) as JournalLine);
    } catch {
      break; // a line cut by a crash ends the journal
    }
  }
  const first = parsed[0];
  if (!first || first.type !== 'journal-header') throw new ResumeRefusedError(`${path} is not a run journal`);
  // Each resumed run appends a header with its inputs: the latest answers are the ones the next resume keeps.
  const latest = parsed.filter((line): line is JournalHeader => line.type === 'journal-header').at(-1) ?? first;
  const header: JournalHeader = { ...first, inputs: latest.inputs };
  const finished = new Map<string, StepFinished>();
  const lastOk = new Map<string, StepFinished>();
  const running = new Set<string>();
  const unfinished = new Set<string>();
  let lastOutcome: string | undefined;
  for (const line of parsed) {
    if (line.type === 'step-started') {
      running.add(line.stepId);
      unfinished.add(line.stepId);
    }
    if (line.type === 'step-finished') {
      finished.set(line.stepId, line);
      if (line.outcome === 'ok') lastOk.set(line.stepId, line);
      running.delete(line.stepId);
      if (line.outcome === 'interrupted' || line.outcome === 'timed-out') unfinished.add(line.stepId);
      else unfinished.delete(line.stepId);
    }
    if (line.type === 'run-finished') lastOutcome = line.outcome;
  }
  return { header, finished, lastOk, runningWhenStopped: running, unfinished, lastOutcome };
}

export interface RunSummary {
  runId: string;
  runbook: string;
  startedAt: string;
  state: string;
  journal: string;
}

export function listRuns(runsDir: string): RunSummary[] {
  let names: string[];
  try {
    names = readdirSync(runsDir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const name of names) {
    const path = join(runsDir, name);
    try {
      const replay = readJournal(path);
      const state =
        replay.lastOutcome ??
        (replay.runningWhenStopped.size ? `stopped during ${[...replay.runningWhenStopped].join(', ')}` : 'stopped');
      runs.push({
        runId: replay.header.runId,
        runbook: replay.header.runbook,
        startedAt: replay.header.startedAt,
        state,
        journal: path,
      });
    } catch {
      runs.push({
        runId: name.replace(/\.jsonl$/, ''),
        runbook: '?',
        startedAt: statSync(path).mtime.toISOString(),
        state: 'unreadable',
        journal: path,
      });
    }
  }
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
