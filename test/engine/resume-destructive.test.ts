/**
 * Issue 17 item 1: a destructive step that did not finish is never re-run by a resume without the explicit
 * `rerun-<step>` answer, however the run stopped: Ctrl+C and SIGTERM (journalled as interrupted) as well as a
 * SIGKILL (journalled as running; interrupt-resume.test.ts). And a finished step whose data a re-run step
 * feeds runs again on resume.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { readJournal } from '../../src/engine/journal.js';
import { BIN, ROOT, runCli, testHome } from '../helpers/cli.js';

function runIdOf(stdout: string): string {
  const match = /run (\S+) started/.exec(stdout);
  assert.ok(match, `no run id in:\n${stdout}`);
  return match[1] as string;
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${signal} during a destructive step: resume asks rerun-<step> and runs it only with "yes"`, async () => {
    const home = testHome();
    const env = { ...home.env, CONFIRM: 'yes', DATABASE_URL: 'postgres://u@db.example:5432/obexal', RTO_TARGET: '30' };
    const book = join(ROOT, 'test/fixtures/runbooks/destroy.yaml');
    const marker = join(home.env.BACKUP_DIR!, 'destroyed');
    const child = execa(process.execPath, ['--', BIN, book], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    for (let i = 0; i < 400 && !existsSync(marker); i++) await delay(50);
    assert.ok(existsSync(marker), 'the destructive step started');
    child.kill(signal);
    const stopped = await child;
    assert.equal(stopped.exitCode, code, out);
    const runId = runIdOf(out);
    const replay = readJournal(join(home.env.OBEXAL_RUNBOOK_CONFIG_DIR!, 'runs', `${runId}.jsonl`));
    assert.equal(replay.finished.get('destroy')?.outcome, 'interrupted');
    assert.ok(replay.unfinished.has('destroy'), 'journalled as interrupted: not finished');

    rmSync(marker);
    const resumed = await runCli([book, '--resume', runId], { ...env, RTO_TARGET: '0' });
    assert.equal(resumed.exitCode, 3, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /was running when the run stopped/);
    assert.match(resumed.stdout + resumed.stderr, /rerun-destroy: no \| yes/);
    assert.equal(existsSync(marker), false, 'not re-run with CONFIRM=yes alone');

    const answers = join(home.dir, 'rerun.yaml');
    writeFileSync(answers, 'rerun-destroy: "yes"\n');
    const rerun = await runCli([book, '--resume', runId, '--answers', answers], { ...env, RTO_TARGET: '0' });
    assert.equal(rerun.exitCode, 0, rerun.stdout + rerun.stderr);
    assert.equal(readFileSync(marker, 'utf8'), 'destroyed\n');
  });
}
