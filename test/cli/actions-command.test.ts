/**
 * `obexal-runbook actions` lists every action of the catalogue with its description and its `with:` parameters
 * taken from its zod schema, through the real executable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionCatalogue } from '../../src/cli/action-catalogue.js';
import { runCli, testHome } from '../helpers/cli.js';

test('lists every action of the catalogue, with its description and parameters', async () => {
  const result = await runCli(['actions'], testHome().env);
  assert.equal(result.exitCode, 0, result.stderr);
  const all = actionCatalogue().list();
  assert.ok(all.length > 40, 'the catalogue was read');
  for (const action of all) {
    assert.match(result.stdout, new RegExp(`^${action.name.replace('.', '\\.')}( \\[|$)`, 'm'), action.name);
    assert.ok(result.stdout.includes(`  ${action.description}`), `${action.name}: its description`);
  }
  assert.match(result.stdout, /^restore\.apply \[destructive\]$/m);
  assert.match(result.stdout, /^bucket\.preflight \[read-only\]\n.*\n {2}with: nothing$/m);
  assert.match(result.stdout, /^shell\n.*\n {2}with:\n {4}command \(/m);
});

test('--json gives each parameter its type, whether it is required and its default', async () => {
  const result = await runCli(['actions', 'note', '--json'], testHome().env);
  assert.equal(result.exitCode, 0, result.stderr);
  const [note] = JSON.parse(result.stdout) as {
    name: string;
    readOnly: boolean;
    parameters: { name: string; type: string; required: boolean; default?: unknown }[];
  }[];
  assert.equal(note?.name, 'note');
  assert.equal(note?.readOnly, true);
  assert.deepEqual(note?.parameters, [
    { name: 'text', type: 'string', required: true },
    { name: 'level', type: '"info" | "warn"', required: false, default: 'info' },
  ]);
});

test('an unknown action name is a usage error naming the actions', async () => {
  const result = await runCli(['actions', 'nope'], testHome().env);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /no action named "nope"; the actions: .*backup\.dump/);
});
