/**
 * The engine run in-process with fake actions: it needs nothing but the catalogue its caller passes (no action
 * module, no executable). What it runs, skips, plans and reports follows the runbook and the fakes only.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { InvalidRunbookError, StepFailedError } from '../../src/core/errors.js';
import { resolveSettings } from '../../src/core/settings.js';
import { defineAction, type AnyAction } from '../../src/engine/action.js';
import { createActionCatalogue } from '../../src/engine/catalogue.js';
import { startRun } from '../../src/engine/engine.js';
import type { RunEvent, RunStarted, StepFinished } from '../../src/engine/events.js';
import type { Interactor } from '../../src/engine/interactor.js';
import { parseRunbook } from '../../src/engine/load-runbook.js';
import { tempDir } from '../helpers/temp.js';

const calls: string[] = [];

const fakes: AnyAction[] = [
  defineAction({
    name: 'fake.count',
    description: 'counts to a number',
    params: z.object({ to: z.number() }).strict(),
    describe: (p, ctx) => `count to ${p.to} in ${ctx.settings.get('BACKUP_DIR')}`,
    async run(p, ctx) {
      calls.push(`${ctx.stepId}:count:${p.to}`);
      return { message: `counted to ${p.to}`, data: { total: p.to, even: p.to % 2 === 0 } };
    },
  }),
  defineAction({
    name: 'fake.echo',
    description: 'repeats a text',
    params: z.object({ text: z.string() }).strict(),
    readOnly: true,
    describe: (p) => `echo ${p.text}`,
    async run(p, ctx) {
      calls.push(`${ctx.stepId}:echo:${p.text}`);
      ctx.output(p.text);
    },
  }),
  defineAction({
    name: 'fake.fail',
    description: 'fails',
    params: z.object({}).strict(),
    async run(_p, ctx) {
      calls.push(`${ctx.stepId}:fail`);
      throw new StepFailedError('the fake failed', 'nothing to do');
    },
  }),
];
const actions = createActionCatalogue(fakes);

const interactor: Interactor = {
  mode: 'headless',
  choose: () => Promise.reject(new Error('no question expected')),
  text: () => Promise.reject(new Error('no question expected')),
  secret: () => Promise.reject(new Error('no question expected')),
  confirm: () => Promise.reject(new Error('no question expected')),
  checklist: () => Promise.reject(new Error('no question expected')),
};

async function run(yaml: string, dryRun = false) {
  calls.length = 0;
  const home = tempDir('obexal-engine-');
  const runbook = parseRunbook(yaml, 'fake.yaml', 'sha', actions);
  const events: RunEvent[] = [];
  const settings = resolveSettings({ env: { BACKUP_DIR: join(home, 'backups') }, configDir: home });
  const started = startRun({
    runbook,
    actions,
    settings,
    interactor,
    mode: 'headless',
    dryRun,
    inputValues: {},
    namedByInvocation: new Set(),
    runsDir: join(home, 'runs'),
    toolVersion: 'test',
    listeners: [(event) => events.push(event)],
  });
  const result = await started.done;
  const finished = events.filter((e): e is StepFinished => e.type === 'step-finished');
  const plan = events.find((e): e is RunStarted => e.type === 'run-started')?.steps ?? [];
  return { result, events, plan, outcomes: finished.map((e) => [e.stepId, e.outcome, e.message]), home };
}

const BOOK = `name: fake
title: Fake
steps:
  - id: count
    title: Count
    action: fake.count
    with: { to: 4 }
  - id: echo
    title: Echo the total
    action: fake.echo
    with: { text: "total \${steps.count.total}" }
  - id: odd
    title: Only when odd
    action: fake.echo
    when: "!steps.count.even"
    with: { text: odd }
  - id: settings
    title: Echo a setting
    action: fake.echo
    when: settings.BACKUP_DIR
    with: { text: "\${settings.BACKUP_DIR}" }
`;

describe('startRun in-process with fake actions', () => {
  it('runs the steps in order, passes data between them, skips a false condition and journals', async () => {
    const { result, outcomes, home } = await run(BOOK);
    assert.equal(result.exitCode, 0, result.message);
    assert.deepEqual(calls, ['count:count:4', 'echo:echo:total 4', `settings:echo:${join(home, 'backups')}`]);
    assert.deepEqual(
      outcomes.map(([id, outcome]) => [id, outcome]),
      [
        ['count', 'ok'],
        ['echo', 'ok'],
        ['odd', 'skipped'],
        ['settings', 'ok'],
      ],
    );
    assert.ok(result.journalPath && existsSync(result.journalPath), 'a journal is written');
  });

  it('plans every step with the real settings; only a step taking earlier output depends on it', async () => {
    const { plan, home } = await run(BOOK);
    assert.deepEqual(
      plan.map((s) => [s.id, s.plan, s.willRun]),
      [
        ['count', `count to 4 in ${join(home, 'backups')}`, true],
        ['echo', 'fake.echo (parameters depend on earlier steps)', true],
        ['odd', 'echo odd', 'depends'],
        ['settings', `echo ${join(home, 'backups')}`, true],
      ],
    );
  });

  it('under --dry-run runs only read-only actions and says what the others would do', async () => {
    const { result, outcomes } = await run(BOOK, true);
    assert.equal(result.exitCode, 0, result.message);
    assert.equal(result.journalPath, undefined, 'no journal');
    assert.ok(!calls.some((c) => c.startsWith('count:')), 'the writing action did not run');
    assert.match(String(outcomes[0]?.[2]), /^dry run: would count to 4 in /);
  });

  it('a failure stops the run: later steps are not run, an `always` step still is, the exit code is 1', async () => {
    const { result, outcomes } = await run(`name: fail
title: Fail
steps:
  - id: first
    title: First
    action: fake.fail
  - id: second
    title: Second
    action: fake.echo
    with: { text: never }
  - id: teardown
    title: Teardown
    action: fake.echo
    always: true
    with: { text: teardown }
`);
    assert.equal(result.exitCode, 1);
    assert.equal(result.outcome, 'failed');
    assert.match(result.message ?? '', /First: the fake failed/);
    assert.deepEqual(calls, ['first:fail', 'teardown:echo:teardown']);
    assert.deepEqual(
      outcomes.map(([id, outcome]) => [id, outcome]),
      [
        ['first', 'failed'],
        ['teardown', 'ok'],
      ],
    );
  });

  it('a continueOnError failure lets the run go on and fails it at the end', async () => {
    const { result } = await run(`name: fail
title: Fail
steps:
  - id: check
    title: Check
    action: fake.fail
    continueOnError: true
  - id: after
    title: After
    action: fake.echo
    with: { text: after }
`);
    assert.equal(result.exitCode, 1);
    assert.deepEqual(calls, ['check:fail', 'after:echo:after']);
  });
});

describe('the action catalogue', () => {
  it('is all the loader knows: an action outside it is an unknown action', () => {
    const yaml = 'name: x\ntitle: X\nsteps:\n  - id: a\n    title: A\n    action: note\n    with: { text: hi }\n';
    assert.throws(
      () => parseRunbook(yaml, 'x.yaml', 'sha', actions),
      (error) =>
        error instanceof InvalidRunbookError &&
        /unknown action "note"/.test(error.message + JSON.stringify(error.problems)),
    );
  });

  it('lists its actions by name and refuses two actions with one name', () => {
    assert.deepEqual(
      actions.list().map((a) => a.name),
      ['fake.count', 'fake.echo', 'fake.fail'],
    );
    assert.throws(() => createActionCatalogue(fakes, [fakes[0]!]), /two actions are named "fake.count"/);
  });
});
