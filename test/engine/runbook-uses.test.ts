/**
 * `uses: <runbook>` (src/engine/include-runbook.ts): the included runbook's steps expanded at load time, its inputs
 * replaced by the values given, its step ids prefixed with every reference to them, the block's `when` on each step;
 * and the built-in runbooks that use it (rollback reuses restore) load with the restore's steps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InvalidRunbookError } from '../../src/core/errors.js';
import { loadRunbookFile } from '../../src/engine/load-runbook.js';
import { actionCatalogue } from '../../src/cli/action-catalogue.js';

const dir = mkdtempSync(join(tmpdir(), 'obexal-uses-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

write(
  'child',
  `name: child
title: Child
inputs:
  - name: word
    kind: text
  - name: flag
    kind: text
    required: false
    default: ''
requires:
  - setting: DRILL_EMAIL
    why: the child needs it
steps:
  - id: first
    title: First
    action: note
    with: { text: "say \${inputs.word}" }
  - id: second
    title: Second
    action: note
    when: steps.first.text
    with: { text: "\${steps.first.text} \${inputs.word}" }
  - id: third
    title: Third
    action: note
    when: inputs.flag
    with: { text: three }
`,
);

async function problemsOf(file: string): Promise<string> {
  try {
    await loadRunbookFile(file, actionCatalogue());
  } catch (error) {
    assert.ok(error instanceof InvalidRunbookError, String(error));
    return error.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  }
  assert.fail('the runbook was accepted');
}

describe('uses: <runbook>', () => {
  test('expands with inputs replaced, ids and references prefixed, titles prefixed, the block gating each step', async () => {
    const file = write(
      'parent',
      `name: parent
title: Parent
inputs:
  - name: go
    kind: text
steps:
  - id: start
    title: Start
    action: note
    with: { text: hi }
  - id: kid
    uses: child
    title: Child part
    when: inputs.go
    except: [third]
    with:
      word: \${steps.start.text}
      flag: \${inputs.go}
`,
    );
    const book = await loadRunbookFile(file, actionCatalogue());
    assert.deepEqual(
      book.steps.map((s) => s.id),
      ['start', 'kid-first', 'kid-second'],
    );
    const [, first, second] = book.steps;
    assert.equal(first?.title, 'Child part: First');
    assert.equal(first?.when, 'inputs.go', 'a step without a condition takes the block`s');
    assert.deepEqual(first?.with, { text: 'say ${steps.start.text}' });
    assert.equal(
      second?.when,
      'inputs.go && steps.kid-first.text',
      'its own condition, renamed, joined to the block`s',
    );
    assert.deepEqual(second?.with, { text: '${steps.kid-first.text} ${steps.start.text}' });
    assert.deepEqual(book.requires, [{ setting: 'DRILL_EMAIL', why: 'the child needs it' }]);
    assert.notEqual(book.sha256.length, 0);
  });

  test('an empty prefix keeps the ids; `only` picks steps', async () => {
    const file = write(
      'keep',
      `name: keep
title: Keep
steps:
  - id: kid
    uses: child
    prefix: ''
    only: [first]
    with: { word: x, flag: '' }
`,
    );
    const book = await loadRunbookFile(file, actionCatalogue());
    assert.deepEqual(
      book.steps.map((s) => [s.id, s.title, s.with]),
      [['first', 'First', { text: 'say x' }]],
    );
  });

  test('inputs not given or unknown, unknown steps, ungated conditions and self-inclusion are refused', async () => {
    const missing = await problemsOf(
      write(
        'missing',
        `name: missing
title: M
steps:
  - id: kid
    uses: child
    when: run.mode
    only: [nope, third]
    with: { word: x, colour: red }
`,
      ),
    );
    assert.match(missing, /steps\[0\]\.uses: uses child: input "flag" of runbook "child" is not given/);
    assert.match(missing, /runbook "child" has no input "colour"/);
    assert.match(missing, /runbook "child" has no step "nope"/);
    assert.match(missing, /step "third" has a condition on an input/);
    const self = await problemsOf(
      write('loop', 'name: loop\ntitle: L\nsteps:\n  - id: me\n    uses: loop\n    with: {}\n'),
    );
    assert.match(self, /runbook "loop" includes itself/);
    const unknown = await problemsOf(
      write(
        'unknown',
        'name: unknown\ntitle: U\nrequires:\n  - setting: NO_SUCH_SETTING\n    why: x\nsteps:\n  - id: a\n    title: A\n    action: note\n    with: { text: x }\n',
      ),
    );
    assert.match(unknown, /requires\[0\]\.setting: unknown setting NO_SUCH_SETTING/);
    const none = await problemsOf(write('none', 'name: none\ntitle: N\nsteps:\n  - id: x\n    uses: absent\n'));
    assert.match(none, /cannot read the runbook .*absent\.yaml/);
  });

  test('a condition of its own is joined to the block`s, both must hold', async () => {
    write(
      'negated',
      `name: negated
title: N
steps:
  - id: one
    title: One
    action: note
    with: { text: a }
  - id: two
    title: Two
    action: note
    when: "!steps.one.text"
    with: { text: b }
`,
    );
    const book = await loadRunbookFile(
      write('gate', 'name: gate\ntitle: G\nsteps:\n  - id: n\n    uses: negated\n    when: run.mode\n'),
      actionCatalogue(),
    );
    assert.deepEqual(
      book.steps.map((s) => s.when),
      ['run.mode', 'run.mode && !steps.n-one.text'],
    );
  });
});

describe('the built-in rollback reuses the restore runbook', () => {
  test('every restore step is in the rollback under its own id, gated on the restore branch, with the same action', async () => {
    const [restore, rollback] = await Promise.all([
      loadRunbookFile('runbooks/restore.yaml', actionCatalogue()),
      loadRunbookFile('runbooks/rollback.yaml', actionCatalogue()),
    ]);
    for (const step of restore.steps) {
      const included = rollback.steps.find((s) => s.id === step.id);
      assert.ok(included, `${step.id} is in the rollback`);
      assert.equal(included.action, step.action);
      const when = step.when ? `steps.plan.restore && ${step.when}` : 'steps.plan.restore';
      assert.equal(included.when, when, `${step.id}'s condition`);
      assert.equal(included.title, `Restore: ${step.title}`);
    }
    const ids = rollback.steps.map((s) => s.id);
    assert.ok(ids.indexOf('redeploy-restored') < ids.indexOf('after'), 'the live checks after the redeploy');
    assert.ok(ids.indexOf('reencrypt') < ids.indexOf('redeploy-restored'));
    const select = rollback.steps.find((s) => s.id === 'select');
    assert.equal(select?.with.dump, '${steps.plan.dump}', 'the restore`s dump input is the plan`s dump');
  });
});
