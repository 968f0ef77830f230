/**
 * The README's headless examples of the practice sandbox, run as printed: every line of the `sh` blocks of
 * "## The practice sandbox", with `obexal-runbook` on PATH as `npm link` puts it there, from a folder outside the
 * repository. A README line that does not run fails here. Left out, and said so in the transcript: the lines that
 * open the interactive menu, and the `--scenario` lines (test/practice/scenarios.test.ts runs the scenarios).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { BIN, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `the README has a section ${heading}`);
  const end = markdown.indexOf('\n## ', start + heading.length + 2);
  return markdown.slice(start, end < 0 ? undefined : end);
}

function shellBlocks(text: string): string[][] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) =>
    (match[1] as string).split('\n').filter((line) => line.trim() !== ''),
  );
}

const opensMenu = (line: string): boolean => /^obexal-runbook practice(?!\s+(up|down)\b)/.test(line.trim());
const preparesScenario = (line: string): boolean => line.includes('--scenario');

/** The drill checklist's items, each answered `done` (what an operator who did them writes). */
function drillAnswers(): string {
  const drill = parse(readFileSync(join(ROOT, 'runbooks', 'drill.yaml'), 'utf8')) as {
    steps: { action: string; with?: { items?: { name: string }[] } }[];
  };
  const items = drill.steps.filter((step) => step.action === 'checklist').flatMap((step) => step.with?.items ?? []);
  assert.ok(items.length > 0);
  return items.map((item) => `${item.name}: done\n`).join('');
}

test("the README's headless practice examples run as printed", { timeout: 900_000 }, async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lines = shellBlocks(section(readme, '## The practice sandbox')).flat();
  const runnable = lines.filter((line) => !opensMenu(line) && !preparesScenario(line));
  assert.ok(
    runnable.some((line) => line.includes('practice up --env-file')),
    'the section starts a sandbox headless',
  );
  assert.ok(
    runnable.some((line) => /practice down/.test(line)),
    'and stops it',
  );

  const work = tempDir('obexal-readme-');
  const bin = join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(BIN, join(bin, 'obexal-runbook'));
  writeFileSync(join(work, 'drill-answers.yaml'), drillAnswers());
  const envFile = join(work, 'practice.env');
  const script = [
    'set -euo pipefail',
    // Whatever fails, the sandbox is stopped and removed.
    "trap 'obexal-runbook practice down >/dev/null 2>&1 || true' EXIT",
    ...runnable.map(
      (line) => `echo "\\$ ${line.replace(/["\\$`]/g, '\\$&')}"\n${line.replaceAll('/tmp/practice.env', envFile)}`,
    ),
  ].join('\n');
  const result = await execa('bash', ['-c', script], {
    cwd: work,
    env: {
      PATH: [bin, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
      HOME: work,
      LANG: 'C.UTF-8',
      TMPDIR: process.env.TMPDIR,
    },
    extendEnv: false,
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: 880_000,
  });
  const skipped = lines.filter((line) => !runnable.includes(line));
  assert.equal(
    result.exitCode,
    0,
    `a README line failed:\n${String(result.all).slice(-6000)}\n(not run: ${skipped.join(' | ')})`,
  );
});
