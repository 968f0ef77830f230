/**
 * `--dry-run` prints a true plan (issue 13): for the built-in runbooks that run in the practice sandbox, the plan's
 * steps are the steps a real run then takes, in the same order, and a step the plan says will not run is the one
 * the run skips for its condition. A plan line says "(parameters depend on earlier steps)" only for a step whose
 * parameters take an earlier step's output, and no line hides a description that failed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { PlannedStep, RunEvent, StepFinished } from '../../src/engine/events.js';
import { startPracticeStack, type PracticeStack } from '../../src/sandbox/practice/stack.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { CHECKLIST_ANSWERS, writeAnswers } from '../drill/fixture.js';

function events(stdout: string): RunEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RunEvent);
}

/** The steps of the runbook whose `with:` names an earlier step's output. */
function takingEarlierOutput(runbook: string): Set<string> {
  const book = parseYaml(readFileSync(join(ROOT, 'runbooks', `${runbook}.yaml`), 'utf8')) as {
    steps: { id: string; with?: unknown }[];
  };
  return new Set(book.steps.filter((s) => JSON.stringify(s.with ?? {}).includes('${steps.')).map((s) => s.id));
}

describe('the plan of --dry-run against the real run that follows', { timeout: 900_000 }, () => {
  let stack: PracticeStack;
  let env: Record<string, string>;
  before(async () => {
    stack = await startPracticeStack();
    const answers = writeAnswers(stack.dir, 'answers.yaml', CHECKLIST_ANSWERS);
    env = { ...stack.env, CONFIRM: 'yes' };
    extra.drill = ['--answers', answers];
  });
  after(() => stack?.stop());
  const extra: Record<string, string[]> = { backup: [], drill: [], restore: ['latest'] };

  for (const runbook of ['backup', 'drill', 'restore']) {
    it(`${runbook}: the same steps, in order, skipped where the plan says they will not run`, async () => {
      const dry = await runCli([runbook, '--dry-run', '--json', ...extra[runbook]!], env, { timeoutMs: 300_000 });
      assert.equal(dry.exitCode, 0, dry.stdout + dry.stderr);
      const started = events(dry.stdout).find((e) => e.type === 'run-started');
      const plan: PlannedStep[] = started?.type === 'run-started' ? started.steps : [];
      assert.ok(plan.length > 3, `a plan:\n${dry.stdout.slice(0, 2000)}`);

      const depends = takingEarlierOutput(runbook);
      for (const step of plan) {
        assert.doesNotMatch(step.plan, /cannot be described/, `${step.id}: ${step.plan}`);
        const saysDepends = step.plan.includes('(parameters depend on earlier steps)');
        assert.equal(saysDepends, depends.has(step.id), `${step.id}: "${step.plan}"`);
      }

      const real = await runCli([runbook, '--json', ...extra[runbook]!], env, { timeoutMs: 600_000 });
      assert.equal(real.exitCode, 0, real.stdout.slice(-4000) + real.stderr);
      const finished = events(real.stdout).filter((e): e is StepFinished => e.type === 'step-finished');
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
      }
    });
  }
});
