/**
 * Oversized and hostile input is refused at once with exit 2 and what was expected (issue 17, item 12): a runbook
 * file of 20 MB (one long line), a YAML alias bomb in a runbook and in an answers file, an answers file of 20 MB
 * and an answer value longer than 4096 characters, in the answers file or on the command line.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, testHome } from '../helpers/cli.js';

const home = testHome('obexal-faults-input-');

function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level < 9; level++) {
    lines.push(`a${level}: &a${level} [${Array.from({ length: 9 }, () => `*a${level - 1}`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function file(name: string, content: string): string {
  const path = join(home.dir, name);
  writeFileSync(path, content);
  return path;
}

describe('runbook files', () => {
  it('a 20 MB runbook line is refused with exit 2 before it is parsed', async () => {
    const path = file('huge.yaml', `name: huge\ntitle: "${'x'.repeat(20 * 1024 * 1024)}"\nsteps: []\n`);
    const result = await runCli(['validate', path], home.env);
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, /the runbook file \S+huge\.yaml is 20\.0 MiB: at most 1\.0 MiB is read/);
    assert.match(
      result.stderr,
      /what to do: check that \S+huge\.yaml is the file you meant; a runbook is a short list of steps/,
    );
  });

  it('a YAML alias bomb in a runbook is an invalid runbook: exit 2, naming the file', async () => {
    const path = file('bomb.yaml', `name: bomb\ntitle: bomb\nsteps: []\n${aliasBomb()}`);
    const result = await runCli(['validate', path], home.env);
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, /invalid runbook \S+bomb\.yaml/);
    assert.match(result.stderr, /more than 100 alias expansions are refused/);
  });
});

describe('answers', () => {
  it('an alias bomb in the answers file: exit 2', async () => {
    const result = await runCli(['retention', '--yes', '--answers', file('bomb-answers.yaml', aliasBomb())], home.env);
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /cannot read the answers file \S+bomb-answers\.yaml: .*alias/i);
  });

  it('a 20 MB answers file: exit 2 before it is parsed', async () => {
    const result = await runCli(
      ['retention', '--yes', '--answers', file('huge-answers.yaml', `reason: ${'y'.repeat(20 * 1024 * 1024)}\n`)],
      home.env,
    );
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /the answers file \S+huge-answers\.yaml is 20\.0 MiB: at most 1\.0 MiB is read/);
  });

  it('an answer of 5000 characters in the answers file: exit 2, naming the answer and the limit', async () => {
    const result = await runCli(
      ['retention', '--yes', '--answers', file('long-answer.yaml', `reason: ${'z'.repeat(5000)}\n`)],
      home.env,
    );
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /the answer reason \(in \S+long-answer\.yaml\) is 5000 characters long: an answer is at most 4096/,
    );
    assert.match(result.stderr, /what to do: give reason its short value/);
  });

  it('an answer of 5000 characters on the command line: exit 2', async () => {
    const result = await runCli(['backup', '--yes', '--reason', 'r'.repeat(5000)], home.env);
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /the answer reason \(on the command line\) is 5000 characters long/);
  });
});
