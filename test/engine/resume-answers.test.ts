/**
 * A resumed run keeps the run's answers (issue 12, "resume keeps the run's choices"): an input the run asked for is
 * asked again with the journaled answer as its default (Enter keeps it), a different answer is confirmed in words
 * before it is taken, and headless the run's answers are taken without asking while a different value given
 * explicitly (answers file, this invocation's environment) is refused with exit 3 unless `change-<name>: yes`
 * confirms it. Secrets are never journaled and are asked again. The engine in-process, the real journal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { StepFailedError } from '../../src/core/errors.js';
import { resolveSettings } from '../../src/core/settings.js';
import { defineAction } from '../../src/engine/action.js';
import { createActionCatalogue } from '../../src/engine/catalogue.js';
import { startRun } from '../../src/engine/engine.js';
import type { ChoiceRequest, RunEvent, RunStarted, TextRequest } from '../../src/engine/events.js';
import type { Interactor } from '../../src/engine/interactor.js';
import { journalPath, readJournal } from '../../src/engine/journal.js';
import { parseRunbook } from '../../src/engine/load-runbook.js';
import { HeadlessInteractor } from '../../src/report/headless-interactor.js';
import { tempDir } from '../helpers/temp.js';

const actions = createActionCatalogue([
  defineAction({
    name: 'fake.stop',
    description: 'fails, so that the run can be resumed',
    params: z.object({}).strict(),
    async run() {
      throw new StepFailedError('stopped here', 'resume it');
    },
  }),
]);

const BOOK = `name: answers
title: Answers
inputs:
  - name: mode
    kind: choice
    message: Which mode
    options: [one, two, three]
  - name: label
    kind: text
    message: A label
  - name: ownership
    kind: choice
    message: Ownership
    options: [auto, 'yes', 'no']
    setting: RESTORE_NO_OWNER
    default: auto
  - name: passphrase
    kind: secret
    message: A passphrase
    required: false
steps:
  - id: stop
    title: Stop
    action: fake.stop
`;
const runbook = parseRunbook(BOOK, 'answers.yaml', 'sha-answers', actions);
const SECRET = 'correct-horse-battery-staple-9';

/** A terminal operator: answers each question from `answers` by name; undefined takes the default (Enter). */
function operator(answers: Record<string, string | undefined>, asked: (ChoiceRequest | TextRequest)[]): Interactor {
  const answer = (request: ChoiceRequest | TextRequest): Promise<string> => {
    asked.push(request);
    const given = Object.hasOwn(answers, request.name) ? answers[request.name] : undefined;
    const value = given ?? request.default;
    return value === undefined ? Promise.reject(new Error(`no answer for ${request.name}`)) : Promise.resolve(value);
  };
  return {
    mode: 'interactive',
    choose: answer,
    text: answer,
    secret: async () => SECRET,
    confirm: () => Promise.reject(new Error('no confirmation expected')),
    checklist: () => Promise.reject(new Error('no checklist expected')),
  };
}

interface RunOptions {
  interactor: Interactor;
  resume?: string;
  inputValues?: Record<string, string>;
  env?: Record<string, string>;
}

async function run(home: string, options: RunOptions) {
  const events: RunEvent[] = [];
  const env = { BACKUP_DIR: join(home, 'backups'), ...options.env };
  const runsDir = join(home, 'runs');
  const started = startRun({
    runbook,
    actions,
    settings: resolveSettings({ env, configDir: home }),
    interactor: options.interactor,
    mode: options.interactor.mode,
    dryRun: false,
    inputValues: options.inputValues ?? {},
    namedByInvocation: new Set(Object.keys(options.env ?? {})),
    runsDir,
    ...(options.resume ? { resume: readJournal(journalPath(runsDir, options.resume)) } : {}),
    toolVersion: 'test',
    listeners: [(event) => events.push(event)],
  });
  const result = await started.done;
  const inputs = events.find((e): e is RunStarted => e.type === 'run-started')?.inputs;
  return { result, inputs };
}

/** A first run on a terminal that answered mode two and label blue, then stopped. */
async function firstRun() {
  const home = tempDir('obexal-resume-answers-');
  const first = await run(home, { interactor: operator({ mode: 'two', label: 'blue' }, []) });
  assert.equal(first.result.exitCode, 1, first.result.message);
  assert.deepEqual(first.inputs, { mode: 'two', label: 'blue', ownership: 'auto' });
  const journal = readFileSync(first.result.journalPath as string, 'utf8');
  assert.ok(!journal.includes(SECRET), 'the secret input is never journaled');
  return { home, runId: first.result.runId };
}

const headless = (answers: Record<string, string> = {}, yes = false) =>
  new HeadlessInteractor({ answers, yes, confirm: undefined, confirmTarget: undefined });

describe("resume: the run's answers are the defaults", () => {
  it('on a terminal, the questions the run asked come back with its answers as defaults; Enter keeps them', async () => {
    const { home, runId } = await firstRun();
    const asked: (ChoiceRequest | TextRequest)[] = [];
    let secretsAsked = 0;
    const enter = { ...operator({}, asked), secret: async () => (secretsAsked++, SECRET) };
    const resumed = await run(home, { interactor: enter, resume: runId });
    assert.deepEqual(resumed.inputs, { mode: 'two', label: 'blue', ownership: 'auto' });
    assert.deepEqual(
      asked.map((r) => [r.name, r.default]),
      [
        ['mode', 'two'],
        ['label', 'blue'],
      ],
      'only what the run asked is asked again, its answer the default; nothing is confirmed',
    );
    const mode = asked[0] as ChoiceRequest;
    assert.match(mode.options.find((o) => o.value === 'two')?.label ?? '', /← the run's answer/);
    assert.equal(secretsAsked, 1, 'a secret is asked again');
  });

  it(`on a terminal, another answer is confirmed in words: "yes" takes it, Enter keeps the run's`, async () => {
    const { home, runId } = await firstRun();
    const asked: (ChoiceRequest | TextRequest)[] = [];
    const changed = await run(home, {
      interactor: operator({ mode: 'three', 'change-mode': 'yes' }, asked),
      resume: runId,
    });
    assert.equal(changed.inputs?.mode, 'three');
    const confirm = asked.find((r) => r.name === 'change-mode');
    assert.ok(confirm, 'the change is confirmed');
    assert.match(confirm.message, /The run chose "two" for mode; use "three" instead\? Type yes/);
    const kept = await run(home, { interactor: operator({ mode: 'one' }, []), resume: runId });
    assert.equal(kept.inputs?.mode, 'three', 'Enter at the confirmation keeps the answer the resumed run took');
  });

  it("headless, the run's answers are taken without asking", async () => {
    const { home, runId } = await firstRun();
    const resumed = await run(home, {
      interactor: headless(),
      resume: runId,
    });
    assert.equal(resumed.result.exitCode, 1, 'it got as far as the step');
    assert.deepEqual(resumed.inputs, { mode: 'two', label: 'blue', ownership: 'auto' });
  });

  it('headless, a different value given explicitly is refused (exit 3) unless change-<name>: yes', async () => {
    const { home, runId } = await firstRun();
    const refused = await run(home, { interactor: headless({}, true), resume: runId, inputValues: { mode: 'one' } });
    assert.equal(refused.result.exitCode, 3, refused.result.message);
    assert.match(
      refused.result.message ?? '',
      /mode: "one" differs from the answer of the run being resumed \("two"\)/,
    );
    assert.match(refused.result.hint ?? '', /add "change-mode: yes" to --answers/);
    const fromEnvironment = await run(home, {
      interactor: headless(),
      resume: runId,
      env: { RESTORE_NO_OWNER: 'yes' },
    });
    assert.equal(fromEnvironment.result.exitCode, 3, "a setting in this invocation's environment counts as given");
    assert.match(fromEnvironment.result.hint ?? '', /change-ownership: yes/);
    const confirmed = await run(home, {
      interactor: headless({ 'change-mode': 'yes' }),
      resume: runId,
      inputValues: { mode: 'one' },
    });
    assert.equal(confirmed.result.exitCode, 1, confirmed.result.message);
    assert.equal(confirmed.inputs?.mode, 'one');
  });
});
