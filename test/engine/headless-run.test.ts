import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli, testHome } from '../helpers/cli.js';

const STEPS = join(ROOT, 'test/fixtures/runbooks/steps.yaml');

function answers(dir: string, values: Record<string, string>): string {
  const file = join(dir, 'answers.yaml');
  writeFileSync(
    file,
    Object.entries(values)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n'),
  );
  return file;
}

function records(home: { env: Record<string, string> }): Record<string, unknown>[] {
  const dir = join(home.env.BACKUP_DIR as string, 'records');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>);
}

test('a run succeeds headless, prints plain lines with no escape codes, and leaves a signed record', async () => {
  const home = testHome();
  const result = await runCli([STEPS], home.env);
  assert.equal(result.exitCode, 0, result.stderr + result.stdout);
  // eslint-disable-next-line no-control-regex -- asserts that no escape code is printed
  assert.doesNotMatch(result.stdout, /\x1b/);
  assert.match(result.stdout, /run \S+ OK \(exit 0\)/);
  const [record] = records(home);
  assert.equal(record?.outcome, 'ok');
  assert.deepEqual(
    (record?.steps as { id: string; outcome: string }[]).map((s) => [s.id, s.outcome]),
    [
      ['first', 'ok'],
      ['fails', 'skipped'],
      ['slow', 'skipped'],
      ['killed', 'skipped'],
      ['flaky', 'skipped'],
      ['last', 'ok'],
    ],
  );
});

test('a failing step stops the run with exit 1, its error output and a failed record', async () => {
  const home = testHome();
  const result = await runCli([STEPS, '--answers', answers(home.dir, { mode: 'fail' })], home.env);
  assert.equal(result.exitCode, 1);
  assert.match(result.stdout, /x fails: FAILED/);
  assert.match(result.stdout, /boom: not fixed/);
  assert.equal(readFileSync(join(home.env.BACKUP_DIR!, 'steps.log'), 'utf8'), 'first\n', 'the last step must not run');
  const [record] = records(home);
  assert.equal(record?.outcome, 'failed');
  assert.equal(record?.exitCode, 1);
});

test('a step past its timeout is ended and reported as timed out', async () => {
  const home = testHome();
  const result = await runCli([STEPS, '--answers', answers(home.dir, { mode: 'slow' })], home.env);
  assert.equal(result.exitCode, 1);
  assert.match(result.stdout, /slow: TIMED OUT .*timed out after 1\.0s/);
});

test('a child killed by a signal fails the step with a clear message', async () => {
  const home = testHome();
  const result = await runCli([STEPS, '--answers', answers(home.dir, { mode: 'killed' })], home.env);
  assert.equal(result.exitCode, 1);
  assert.match(result.stdout, /killed: FAILED.*was killed by SIGKILL/);
});

test('retries run a failing step again until it passes', async () => {
  const home = testHome();
  const result = await runCli([STEPS, '--answers', answers(home.dir, { mode: 'flaky' })], home.env);
  assert.equal(result.exitCode, 0, result.stdout);
  assert.match(result.stdout, /attempt 1 of 3 failed/);
  assert.equal(readFileSync(join(home.env.BACKUP_DIR!, 'flaky.count'), 'utf8').trim(), '3');
});

test('a missing answer headless fails at once with exit 3 naming it', async () => {
  const home = testHome();
  const result = await runCli([join(ROOT, 'runbooks/examples/sample.yaml')], home.env, { timeoutMs: 20_000 });
  assert.equal(result.exitCode, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /needs an answer \(place\)/);
});

test('--dry-run shows the plan, runs nothing, writes no record and no journal', async () => {
  const home = testHome();
  const result = await runCli([STEPS, '--dry-run'], home.env);
  assert.equal(result.exitCode, 0, result.stdout);
  assert.match(result.stdout, /plan first: sh -c/);
  assert.match(result.stdout, /dry run: would/);
  assert.equal(existsSync(join(home.env.BACKUP_DIR!, 'steps.log')), false);
  assert.equal(existsSync(join(home.env.BACKUP_DIR!, 'records')), false);
  assert.equal(existsSync(join(home.env.OBEXAL_RUNBOOK_CONFIG_DIR!, 'runs')), false);
});

test('usage errors and invalid runbooks exit 2 with a hint', async () => {
  const home = testHome();
  const unknown = await runCli(['no-such-runbook'], home.env);
  assert.equal(unknown.exitCode, 2);
  assert.match(unknown.stderr, /unknown runbook or command "no-such-runbook"/);
  assert.match(unknown.stderr, /what to do:/);
  const bad = join(home.dir, 'bad.yaml');
  writeFileSync(bad, 'name: bad\ntitle: Bad\nsteps:\n  - id: a\n    title: A\n    action: teleport\n');
  const invalid = await runCli(['validate', bad], home.env);
  assert.equal(invalid.exitCode, 2);
  assert.match(invalid.stderr, /bad\.yaml:6: steps\[0\]\.action: unknown action "teleport"/);
  const flag = await runCli(['--frobnicate'], home.env);
  assert.equal(flag.exitCode, 2);
});
