/**
 * The comparison behind the plan-matches-run tests: a runbook run with --dry-run, then for real with the same
 * arguments, and every step of the one held against the other. Written against what the runbook file says (its
 * `uses:` blocks expanded by the real loader), never a list of step ids, so a runbook that changes keeps being
 * checked as it is.
 *
 * What --dry-run says of a step, and what the real run must then do with it:
 * - the plan (run-started): `willRun: true` runs, `false` is skipped for its condition, `depends` may go either way;
 *   "(parameters depend on earlier steps)" exactly for a step whose parameters take an earlier step's output;
 * - the dry run's own line for the step (step-finished): a read-only step that ran, or "dry run: would …", runs;
 *   "condition not met" is skipped for its condition; "not known in a dry run" may go either way;
 * - no line shows an unknown value ("undefined", "[object Object]") or hides a description that failed.
 */
import assert from 'node:assert/strict';
import type { PlannedStep, RunEvent, StepFinished } from '../../src/engine/events.js';
import { loadRunbook } from '../../src/cli/run-command.js';
import { runCli, type CliResult } from '../helpers/cli.js';

export function events(stdout: string): RunEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RunEvent);
}

const UNTRUE = /\bundefined\b|\[object Object\]|\bNaN\b|cannot be described/;
const DEPENDS = '(parameters depend on earlier steps)';

type DryLine = 'runs' | 'not-met' | 'unknown';

export interface Comparison {
  dry: CliResult;
  real: CliResult;
  plan: PlannedStep[];
  /** What the dry run said of each step, by step id. */
  dryLines: Map<string, DryLine>;
  finished: StepFinished[];
  /** The actions of the steps the real run ran and finished ok (not skipped), to tell a branch by what it did. */
  ranActions: Set<string>;
}

export interface CompareOptions {
  env: Record<string, string>;
  /** Arguments after the runbook's name, for both runs. */
  args?: string[];
  timeoutMs?: number;
}

function planOf(stdout: string): PlannedStep[] {
  const started = events(stdout).find((e) => e.type === 'run-started');
  return started?.type === 'run-started' ? started.steps : [];
}

function finishedOf(stdout: string): StepFinished[] {
  return events(stdout).filter((e): e is StepFinished => e.type === 'step-finished');
}

/** The steps, `uses:` expanded, whose `with:` names an earlier step's output. */
async function takingEarlierOutput(runbook: string): Promise<{ ids: string[]; depends: Set<string> }> {
  const book = await loadRunbook(runbook);
  const depends = book.steps.filter((s) => JSON.stringify(s.with ?? {}).includes('${steps.')).map((s) => s.id);
  return { ids: book.steps.map((s) => s.id), depends: new Set(depends) };
}

function checkPlan(plan: PlannedStep[], book: { ids: string[]; depends: Set<string> }, dryOut: string): void {
  assert.deepEqual(
    plan.map((s) => s.id),
    book.ids,
    `the plan names every step of the runbook, in order:\n${dryOut.slice(0, 2000)}`,
  );
  for (const step of plan) {
    assert.doesNotMatch(step.plan, UNTRUE, `${step.id}: ${step.plan}`);
    const saysDepends = step.plan.includes(DEPENDS);
    assert.equal(saysDepends, book.depends.has(step.id), `${step.id}: "${step.plan}"`);
  }
}

function classify(line: StepFinished): DryLine {
  const message = line.message ?? '';
  if (line.outcome === 'skipped' && /^condition not met/.test(message)) return 'not-met';
  if (line.outcome === 'skipped' && /^dry run: runs only if .*not known in a dry run/.test(message)) return 'unknown';
  assert.ok(
    line.outcome === 'ok' || (line.outcome === 'skipped' && /^dry run: would /.test(message)),
    `${line.stepId}: a dry run either runs a step or says what it would do: ${line.outcome}: ${message}`,
  );
  return 'runs';
}

function checkDryLines(plan: PlannedStep[], dryOut: string): Map<string, DryLine> {
  const lines = finishedOf(dryOut);
  assert.deepEqual(
    lines.map((e) => e.stepId),
    plan.map((s) => s.id),
    'the dry run gives one line per planned step, in order',
  );
  for (const line of lines) assert.doesNotMatch(line.message ?? '', UNTRUE, `${line.stepId}: ${line.message}`);
  return new Map(lines.map((line) => [line.stepId, classify(line)]));
}

function checkRun(plan: PlannedStep[], dryLines: Map<string, DryLine>, finished: StepFinished[]): void {
  assert.deepEqual(
    finished.map((e) => e.stepId),
    plan.map((s) => s.id),
    'the run finished every planned step, in the order of the plan',
  );
  for (const [index, step] of plan.entries()) {
    const done = finished[index]!;
    const skippedByCondition = done.outcome === 'skipped' && /^condition not met/.test(done.message ?? '');
    if (step.willRun === true) assert.equal(skippedByCondition, false, `${step.id} was planned to run`);
    if (step.willRun === false) assert.equal(skippedByCondition, true, `${step.id} was planned not to run`);
    const said = dryLines.get(step.id);
    if (said === 'runs') assert.equal(skippedByCondition, false, `the dry run said ${step.id} runs`);
    if (said === 'not-met') assert.equal(skippedByCondition, true, `the dry run said ${step.id} is skipped`);
  }
}

/** Runs `runbook` with --dry-run, then for real, and asserts that the plan and the dry run told the truth. */
export async function comparePlanWithRun(runbook: string, options: CompareOptions): Promise<Comparison> {
  const args = options.args ?? [];
  const timeoutMs = options.timeoutMs ?? 600_000;
  const book = await takingEarlierOutput(runbook);
  const dry = await runCli([runbook, '--dry-run', '--json', ...args], options.env, { timeoutMs });
  assert.equal(dry.exitCode, 0, dry.stdout.slice(-4000) + dry.stderr);
  const plan = planOf(dry.stdout);
  checkPlan(plan, book, dry.stdout);
  const dryLines = checkDryLines(plan, dry.stdout);

  const real = await runCli([runbook, '--json', ...args], options.env, { timeoutMs });
  assert.equal(real.exitCode, 0, real.stdout.slice(-4000) + real.stderr);
  assert.deepEqual(
    planOf(real.stdout).map((s) => [s.id, s.plan, s.willRun]),
    plan.map((s) => [s.id, s.plan, s.willRun]),
    'the run starts with the plan --dry-run printed',
  );
  const finished = finishedOf(real.stdout);
  checkRun(plan, dryLines, finished);
  const ran = new Set(finished.filter((e) => e.outcome === 'ok' && e.attempts > 0).map((e) => e.stepId));
  const ranActions = new Set(plan.filter((s) => ran.has(s.id)).map((s) => s.action));
  return { dry, real, plan, dryLines, finished, ranActions };
}
