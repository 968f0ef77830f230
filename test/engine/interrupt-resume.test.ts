import assert from 'node:assert/strict';
import { execa } from 'execa';
import { copyFileSync, existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { BIN, ROOT, runCli, testHome } from '../helpers/cli.js';
import { descendantsOf, isAlive, killEach, type SeenProcess } from '../helpers/processes.js';

function runIdOf(stdout: string): string {
  const match = /run (\S+) started/.exec(stdout);
  assert.ok(match, `no run id in:\n${stdout}`);
  return match[1] as string;
}

/** The descendant of the tool whose command line is `command`, found before the signal: the test's own. */
function descendantRunning(descendants: SeenProcess[], command: string): number {
  const found = descendants.find((candidate) => candidate.command === command);
  assert.ok(found, `${command} runs under the tool`);
  return found.pid;
}

async function startAndSignal(args: string[], env: Record<string, string>, signal: NodeJS.Signals) {
  const child = execa(process.execPath, ['--', BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  for (let i = 0; i < 200 && !out.includes('> wait:') && !out.includes('> destroy:'); i++) await delay(50);
  await delay(300);
  const descendants = descendantsOf(child.pid as number);
  child.kill(signal);
  const result = await child;
  return { exitCode: result.exitCode, stdout: out + String(result.stdout ?? ''), descendants };
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${signal} ends the running step and its whole process group, runs cleanup and exits ${code}`, async () => {
    const home = testHome();
    const result = await startAndSignal([join(ROOT, 'test/fixtures/runbooks/interrupt.yaml')], home.env, signal);
    assert.equal(result.exitCode, code, result.stdout);
    assert.match(result.stdout, /wait: INTERRUPTED/);
    assert.match(result.stdout, /INTERRUPTED \(exit \d+\)/);
    const grandchild = descendantRunning(result.descendants, 'sleep 987');
    const child = descendantRunning(result.descendants, 'sleep 986');
    await delay(200);
    assert.equal(isAlive(grandchild), false, 'the grandchild must be gone');
    assert.equal(isAlive(child), false, 'the child must be gone');
  });
}

test('--resume continues after the last finished step and the run completes', async () => {
  const home = testHome();
  const answers = join(home.dir, 'a.yaml');
  writeFileSync(answers, 'mode: fail\n');
  const first = await runCli([join(ROOT, 'test/fixtures/runbooks/steps.yaml'), '--answers', answers], home.env);
  assert.equal(first.exitCode, 1);
  const runId = runIdOf(first.stdout);
  const list = await runCli(['runs', 'list'], home.env);
  assert.match(list.stdout, new RegExp(`${runId}\\s+steps\\s`));
  writeFileSync(join(home.env.BACKUP_DIR!, 'fixed'), '');
  const second = await runCli([join(ROOT, 'test/fixtures/runbooks/steps.yaml'), '--resume', runId], home.env);
  assert.equal(second.exitCode, 0, second.stdout);
  assert.match(second.stdout, /first: ok .*done in the earlier run/);
  assert.equal(
    readFileSync(join(home.env.BACKUP_DIR!, 'steps.log'), 'utf8'),
    'first\nlast\n',
    'first ran once, last ran on resume',
  );
});

test('--resume refuses with exit 4 when the runbook changed since', async () => {
  const home = testHome();
  const book = join(home.dir, 'steps.yaml');
  copyFileSync(join(ROOT, 'test/fixtures/runbooks/steps.yaml'), book);
  writeFileSync(join(home.dir, 'a.yaml'), 'mode: fail\n');
  const first = await runCli([book, '--answers', join(home.dir, 'a.yaml')], home.env);
  assert.equal(first.exitCode, 1);
  appendFileSync(book, '\n# edited\n');
  const second = await runCli([book, '--resume', runIdOf(first.stdout)], home.env);
  assert.equal(second.exitCode, 4, second.stdout + second.stderr);
  assert.match(second.stderr, /runbook .* changed since the run started/);
});

test('a destructive step that was running when the run died is not re-run by itself; resume confirms again', async () => {
  const home = testHome();
  const env = { ...home.env, CONFIRM: 'yes', DATABASE_URL: 'postgres://u@db.example:5432/obexal', RTO_TARGET: '30' };
  const book = join(ROOT, 'test/fixtures/runbooks/destroy.yaml');
  const killed = await startAndSignal([book], env, 'SIGKILL');
  assert.equal(killed.exitCode, undefined);
  const runId = runIdOf(killed.stdout);
  killEach(killed.descendants);
  const withoutConfirm = await runCli([book, '--resume', runId], { ...env, CONFIRM: '' });
  assert.equal(withoutConfirm.exitCode, 3, 'a resumed run confirms again');
  const resumed = await runCli([book, '--resume', runId], env);
  assert.equal(resumed.exitCode, 3, resumed.stdout);
  assert.match(resumed.stdout, /confirm: ok/);
  assert.match(resumed.stdout, /was running when the run stopped/);
  const answers = join(home.dir, 'rerun.yaml');
  writeFileSync(answers, 'rerun-destroy: "yes"\n');
  const rerun = await runCli([book, '--resume', runId, '--answers', answers], { ...env, RTO_TARGET: '0' });
  assert.equal(rerun.exitCode, 0, rerun.stdout);
  assert.ok(existsSync(join(home.env.BACKUP_DIR!, 'destroyed')));
});
