import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRunbookError } from '../../src/core/errors.js';
import { parseRunbook } from '../../src/engine/load-runbook.js';
import { actionCatalogue } from '../../src/cli/action-catalogue.js';

function problemsOf(yaml: string): { line: number | undefined; path: string; message: string }[] {
  try {
    parseRunbook(yaml, 'bad.yaml', 'x', actionCatalogue());
  } catch (error) {
    assert.ok(error instanceof InvalidRunbookError, String(error));
    assert.equal(error.exitCode, 2);
    assert.match(error.message, /bad\.yaml:\d+/);
    return [...error.problems];
  }
  assert.fail('the runbook was accepted');
}

test('a valid runbook loads', () => {
  const book = parseRunbook(
    'name: ok\ntitle: OK\nsteps:\n  - id: a\n    title: A\n    action: note\n    with: { text: hi }\n',
    'ok.yaml',
    'sha',
    actionCatalogue(),
  );
  assert.equal(book.steps[0]?.action, 'note');
  assert.equal(book.sha256, 'sha');
});

test('an unknown action is named with its line', () => {
  const [problem] = problemsOf('name: b\ntitle: B\nsteps:\n  - id: a\n    title: A\n    action: nope\n');
  assert.equal(problem?.line, 6);
  assert.equal(problem?.path, 'steps[0].action');
  assert.match(problem?.message ?? '', /unknown action "nope"/);
});

test('an unknown field and a wrong type are named with line and field', () => {
  const problems = problemsOf(
    'name: b\ntitle: B\nsteps:\n  - id: a\n    title: A\n    action: note\n    retries: many\n    colour: red\n',
  );
  const retries = problems.find((p) => p.path === 'steps[0].retries');
  assert.equal(retries?.line, 7);
  assert.match(retries?.message ?? '', /expected number/);
  const unknown = problems.find((p) => p.path === 'steps[0].colour');
  assert.equal(unknown?.line, 8);
  assert.match(unknown?.message ?? '', /unknown field colour/);
});

test('action parameters are validated, templates accepted where values are not known yet', () => {
  const problems = problemsOf(
    'name: b\ntitle: B\nsteps:\n  - id: a\n    title: A\n    action: shell\n    with:\n      command: 42\n',
  );
  assert.equal(problems[0]?.path, 'steps[0].with.command');
  assert.equal(problems[0]?.line, 8);
  parseRunbook(
    'name: b\ntitle: B\ninputs:\n  - name: n\n    kind: text\nsteps:\n  - id: a\n    title: A\n    action: shell\n    with:\n      command: "${inputs.n}"\n',
    'ok.yaml',
    'x',
    actionCatalogue(),
  );
});

test('references to unknown inputs, later steps and bad conditions are refused', () => {
  const problems = problemsOf(
    'name: b\ntitle: B\nsteps:\n  - id: a\n    title: A\n    action: note\n    with: { text: "${inputs.missing} ${steps.b.value}" }\n  - id: b\n    title: B\n    action: note\n    when: "a b c"\n    with: { text: x }\n',
  );
  const messages = problems.map((p) => p.message).join('\n');
  assert.match(messages, /no input named "missing"/);
  assert.match(messages, /no earlier step with id "b"/);
  assert.match(messages, /expected `ref`/);
});

test('a destructive action must be declared destructive; duplicate ids are refused', () => {
  const problems = problemsOf(
    'name: b\ntitle: B\nsteps:\n  - id: a\n    title: A\n    action: note\n    with: { text: x }\n  - id: a\n    title: A2\n    action: note\n    with: { text: y }\n',
  );
  assert.match(problems[0]?.message ?? '', /used twice/);
  assert.equal(problems[0]?.line, 8);
});

test('YAML syntax errors carry the line', () => {
  const problems = problemsOf('name: b\ntitle: B\nsteps:\n  - id: a\n   title: [unclosed\n');
  assert.ok(problems[0]?.line !== undefined);
  assert.match(problems[0]?.message ?? '', /^YAML:/);
});
