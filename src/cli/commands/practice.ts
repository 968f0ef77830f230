/**
 * `obexal-runbook practice`: start the sandbox and open the menu against it (its own configuration, never
 * the operator's), tear everything down on exit. `practice up --env-file F` starts it in the background for
 * scripts, tests and benchmarks; `practice down` stops it and removes everything.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { StepFailedError, UsageError } from '../../core/errors.js';
import { isProcessAlive } from '../../core/private-dir.js';
import { startPracticeStack, type PracticeStack } from '../../sandbox/practice/stack.js';
import { writeEnvFile } from '../../sandbox/practice/env-file.js';
import { clearPracticeState, readPracticeState, writePracticeState } from '../../sandbox/practice/state.js';
import type { CliOptions } from '../args.js';
import { loadInvocation } from '../environment.js';
import { isHeadless } from '../run-command.js';

const READY = 'obexal-practice-ready';

export async function practiceCommand(args: string[], cli: CliOptions): Promise<number> {
  const [verb] = args;
  switch (verb) {
    case undefined:
      return practiceInteractive(cli);
    case 'up':
      return practiceUp(cli);
    case 'down':
      return practiceDown();
    case 'serve':
      return practiceServe(cli);
    case 'app': {
      // APP_STOP_COMMAND / APP_START_COMMAND / APP_DEPLOY_COMMAND of the sandbox (src/sandbox/practice/app.ts).
      const { practiceAppCommand } = await import('../../sandbox/practice/app.js');
      process.stdout.write(`${await practiceAppCommand(args[1], args[2], args[3], process.env)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown practice command "${verb}"`, 'use `practice`, `practice up --env-file F`, `practice down` or `practice app stop|start|deploy <dir> [image]|migrate <dir> <version>`');
  }
}

function header(stack: PracticeStack): string[] {
  return ['obexal-runbook practice sandbox: load with `set -a; . <this file>; set +a`', ...stack.summary()];
}

async function practiceInteractive(cli: CliOptions): Promise<number> {
  if (isHeadless(cli, process.env)) {
    throw new UsageError('the practice menu needs a terminal', 'for scripts use `obexal-runbook practice up --env-file F` and `practice down`');
  }
  process.stdout.write('Starting the practice sandbox…\n');
  const stack = await startPracticeStack({ onProgress: (m) => process.stdout.write(`  ${m}\n`) });
  const stopAndExit = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGTERM', stopAndExit);
  try {
    for (const line of stack.summary()) process.stdout.write(`  ${line}\n`);
    const invocation = loadInvocation({ ...process.env, ...stack.env, CI: undefined });
    for (const [name, value] of Object.entries(stack.env)) process.env[name] = value;
    const { menuCommand } = await import('./menu.js');
    return await menuCommand(cli, invocation);
  } finally {
    process.off('SIGTERM', stopAndExit);
    await stack.stop();
    process.stdout.write('Practice sandbox stopped and removed.\n');
  }
}

/** Runs in the background supervisor: holds the stack until SIGTERM/SIGINT, then removes everything. */
async function practiceServe(cli: CliOptions): Promise<number> {
  if (!cli.envFile) throw new UsageError('practice serve needs --env-file');
  // Listen before anything starts, so that a signal during start-up is also handled by this code.
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolvePromise) => (stopRequested = resolvePromise));
  const onSignal = () => stopRequested();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const stack = await startPracticeStack();
  await writeEnvFile(cli.envFile, stack.env, header(stack));
  await writePracticeState({ pid: process.pid, dir: stack.dir, envFile: cli.envFile, startedAt: new Date().toISOString() });
  process.stdout.write(`${READY}\n`);
  await stopped;
  await stack.stop();
  await clearPracticeState();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return 0;
}

async function practiceUp(cli: CliOptions): Promise<number> {
  if (!cli.envFile) throw new UsageError('practice up needs --env-file <file>', 'the file receives the environment that points every runbook at the sandbox');
  const existing = await readPracticeState();
  if (existing && isProcessAlive(existing.pid)) {
    throw new UsageError(`a practice sandbox is already running (pid ${existing.pid}, ${existing.dir})`, 'stop it with `obexal-runbook practice down` first');
  }
  const envFile = resolve(cli.envFile);
  // `--` before the script: Node 20 reads `--env-file` anywhere on its command line (and would load the file).
  const child = spawn(process.execPath, [...process.execArgv, '--', process.argv[1] as string, 'practice', 'serve', '--env-file', envFile], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
  let output = '';
  const ready = await new Promise<boolean>((resolvePromise) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line === READY) resolvePromise(true);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', () => resolvePromise(false));
  });
  if (!ready) throw new StepFailedError(`the practice sandbox did not start:\n${output.trim()}`, 'the message above says what failed (PostgreSQL programs missing? run `apt-get install postgresql`)');
  child.stdout!.destroy();
  child.stderr!.destroy();
  child.unref();
  process.stdout.write(`practice sandbox running (pid ${child.pid}); environment in ${envFile}\n  load it: set -a; . ${envFile}; set +a\n  stop it: obexal-runbook practice down\n`);
  return 0;
}

async function practiceDown(): Promise<number> {
  const state = await readPracticeState();
  if (!state) {
    process.stdout.write('no practice sandbox is running\n');
    return 0;
  }
  if (isProcessAlive(state.pid)) process.kill(state.pid, 'SIGTERM');
  for (let i = 0; i < 300 && isProcessAlive(state.pid); i++) await delay(100);
  if (isProcessAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
  const { rm } = await import('node:fs/promises');
  if (existsSync(state.dir)) await rm(state.dir, { recursive: true, force: true });
  await clearPracticeState();
  process.stdout.write(`practice sandbox stopped; ${state.dir} removed\n`);
  return 0;
}
