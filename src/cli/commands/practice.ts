/**
 * `obexal-runbook practice`: start the sandbox and open the menu against it (its own configuration, never
 * the operator's), tear everything down on exit. `practice up --env-file F` starts it in the background for
 * scripts, tests and benchmarks; `practice down` stops it and removes everything. `--scenario S` (either form)
 * prepares a scenario through the real runbooks before handing the sandbox out (src/sandbox/practice/scenarios.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { InterruptedError, StepFailedError, UsageError } from '../../core/errors.js';
import { isProcessAlive } from '../../core/private-dir.js';
import { startPracticeStack, type PracticeStack } from '../../sandbox/practice/stack.js';
import { writeEnvFile } from '../../sandbox/practice/env-file.js';
import { parseScenario, prepareScenarioOrStop, takeFirstBackup } from '../../sandbox/practice/scenarios.js';
import { assertPitrProgramsInstalled } from '../../sandbox/practice/pitr-repository.js';
import type { PreparedScenario, ScenarioName } from '../../sandbox/practice/scenarios.js';
import { clearPracticeState, firstPracticeStart, practiceName } from '../../sandbox/practice/state.js';
import { readPracticeState, writePracticeState } from '../../sandbox/practice/state.js';
import type { CliOptions } from '../args.js';
import { loadInvocation } from '../environment.js';
import { isHeadless } from '../run-command.js';
import { endStartupLine } from '../../core/startup-line.js';

const READY = 'obexal-practice-ready';

export async function practiceCommand(args: string[], cli: CliOptions): Promise<number> {
  const [verb] = args;
  const scenario = parseScenario(cli.scenario);
  if (scenario && verb !== undefined && verb !== 'up' && verb !== 'serve') {
    throw new UsageError(
      `--scenario goes with \`practice\` or \`practice up\`, not \`practice ${verb}\``,
      'e.g. obexal-runbook practice up --env-file F --scenario rotated-keys',
    );
  }
  // Before anything is started: the pitr scenario needs pgBackRest and openssl (the message names the packages).
  if (scenario === 'pitr') await assertPitrProgramsInstalled();
  switch (verb) {
    case undefined:
      return practiceInteractive(cli, scenario);
    case 'up':
      return practiceUp(cli, scenario);
    case 'down':
      return practiceDown(practiceName(cli.name));
    case 'serve':
      return practiceServe(cli, scenario);
    case 'app': {
      // APP_STOP_COMMAND / APP_START_COMMAND / APP_DEPLOY_COMMAND of the sandbox (src/sandbox/practice/app.ts).
      const { practiceAppCommand } = await import('../../sandbox/practice/app.js');
      process.stdout.write(`${await practiceAppCommand(args[1], args[2], args[3], process.env)}\n`);
      return 0;
    }
    default:
      throw new UsageError(
        `unknown practice command "${verb}"`,
        'use `practice [--scenario S]`, `practice up --env-file F [--scenario S]`, `practice down` ' +
          'or `practice app stop|start|deploy <dir> [image]|migrate <dir> <version>`',
      );
  }
}

function header(stack: PracticeStack, prepared: PreparedScenario | undefined): string[] {
  return [
    'obexal-runbook practice sandbox: load with `set -a; . <this file>; set +a`',
    ...stack.summary(),
    ...(prepared?.summary ?? []),
  ];
}

/** Prepares the scenario (if any) with SIGINT/SIGTERM aborting it; a failure or an interruption stops the stack. */
async function prepare(
  stack: PracticeStack,
  scenario: ScenarioName | undefined,
  say: (m: string) => void,
): Promise<PreparedScenario | undefined> {
  if (!scenario) return undefined;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => controller.abort(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await prepareScenarioOrStop(stack, scenario, { onProgress: say, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The keys, once, the first time this HOME opens the practice menu (a line each at 80 columns: fits 80x24). */
const TOUR = [
  'Practice: your own sandbox (database, bucket, auth-service), never production.',
  '↑/↓ move · Enter choose (digits do nothing) · Esc back · Ctrl+C stops a step',
  'Try: Back up, Restore drill, Restore; Ctrl+C in Restore, resume in Recent runs.',
];

async function practiceInteractive(cli: CliOptions, scenario: ScenarioName | undefined): Promise<number> {
  if (isHeadless(cli, process.env)) {
    throw new UsageError(
      'the practice menu needs a terminal',
      'for scripts use `obexal-runbook practice up --env-file F` and `practice down`',
    );
  }
  endStartupLine();
  process.stdout.write('Starting the practice sandbox…\n');
  const say = (m: string) => process.stdout.write(`  ${m}\n`);
  const stack = await startPracticeStack({ onProgress: say });
  // The sandbox goes on a signal from outside, a closed terminal, or a crash of the UI (the finally below).
  const stopAndExit = (signal: NodeJS.Signals) => {
    void stack.stop().finally(() => process.exit(signal === 'SIGTERM' ? 143 : 129));
  };
  process.once('SIGTERM', stopAndExit);
  process.once('SIGHUP', stopAndExit);
  try {
    const prepared = await prepare(stack, scenario, say);
    const firstBackup = prepared ? [] : await takeFirstBackup(stack, { onProgress: say });
    const env = prepared?.env ?? stack.env;
    const summary = [...stack.summary(), ...firstBackup, ...(prepared?.summary ?? [])];
    for (const line of summary) process.stdout.write(`  ${line}\n`);
    const invocation = loadInvocation({ ...process.env, ...env, CI: undefined });
    for (const [name, value] of Object.entries(env)) process.env[name] = value;
    const again = ['Practice sandbox: Quit (or Ctrl+C twice) stops and removes it.'];
    const tour = (await firstPracticeStart()) ? TOUR : again;
    const { menuCommand } = await import('./menu.js');
    return await menuCommand(cli, invocation, { returnToMenu: true, notice: tour });
  } finally {
    process.off('SIGTERM', stopAndExit);
    process.off('SIGHUP', stopAndExit);
    await stack.stop();
    process.stdout.write('Practice sandbox stopped and removed.\n');
  }
}

/** Runs in the background supervisor: holds the stack until SIGTERM/SIGINT, then removes everything. */
async function practiceServe(cli: CliOptions, scenario: ScenarioName | undefined): Promise<number> {
  if (!cli.envFile) throw new UsageError('practice serve needs --env-file');
  // Listen before anything starts, so that a signal during start-up is also handled by this code.
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolvePromise) => (stopRequested = resolvePromise));
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted.abort(signal);
    stopRequested();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Progress lines go to `practice up`, which shows them while it waits for READY.
  const say = (m: string) => process.stdout.write(`  ${m}\n`);
  const stack = await startPracticeStack({ onProgress: say });
  const prepared = scenario
    ? await prepareScenarioOrStop(stack, scenario, { onProgress: say, signal: interrupted.signal })
    : undefined;
  await writeEnvFile(cli.envFile, prepared?.env ?? stack.env, header(stack, prepared));
  for (const line of prepared?.summary ?? []) say(line);
  const name = practiceName(cli.name);
  await writePracticeState(
    { pid: process.pid, dir: stack.dir, envFile: cli.envFile, startedAt: new Date().toISOString() },
    name,
  );
  process.stdout.write(`${READY}\n`);
  await stopped;
  await stack.stop();
  await clearPracticeState(name);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return 0;
}

const POSTGRES_MISSING =
  /\b(initdb|pg_ctl|pg_dump)\b.*\b(not found|no such|cannot find|could not find)|ENOENT.*\b(initdb|pg_ctl)\b/i;

/** Why `practice up`'s supervisor ended before it was ready: what it printed, and what to do. */
function notStarted(output: string, scenario: ScenarioName | undefined): StepFailedError {
  const hint =
    scenario && output.includes('practice scenario')
      ? 'the sandbox was stopped and removed; the runbook that failed and its last lines are above'
      : POSTGRES_MISSING.test(output)
        ? 'the PostgreSQL server programs were not found: install them (`apt-get install postgresql`)'
        : 'the sandbox was stopped and removed; the message above says what failed';
  return new StepFailedError(`the practice sandbox did not start:\n${output.trim()}`, hint);
}

/** Refuses when a sandbox of this name already runs for this HOME. */
async function refuseWhenRunning(cli: CliOptions, name: string): Promise<void> {
  const existing = await readPracticeState(name);
  if (!existing || !isProcessAlive(existing.pid)) return;
  const flag = cli.name ? ` --name ${name}` : '';
  throw new UsageError(
    `a practice sandbox${cli.name ? ` named ${name}` : ''} is already running for this HOME ` +
      `(pid ${existing.pid}, ${existing.dir})`,
    `stop it with \`obexal-runbook practice down${flag}\` first, or start another with --name`,
  );
}

/**
 * Waits for the supervisor's READY line (passing its other lines on); false when it ended first. An interruption
 * is passed on to the supervisor, which is in its own session; `interruptedBy` tells which one came.
 */
async function waitForSupervisor(
  child: ChildProcess,
): Promise<{ ready: boolean; output: string; by?: 'SIGINT' | 'SIGTERM' }> {
  let interruptedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    interruptedBy = signal;
    child.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let output = '';
  const ready = await new Promise<boolean>((resolvePromise) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      // Interrupted: the supervisor stops what it started even when it got as far as READY; wait for its exit.
      if (line === READY) {
        if (!interruptedBy) resolvePromise(true);
      } else process.stdout.write(`${line}\n`);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', () => resolvePromise(false));
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  return { ready, output, ...(interruptedBy ? { by: interruptedBy } : {}) };
}

async function practiceUp(cli: CliOptions, scenario: ScenarioName | undefined): Promise<number> {
  if (!cli.envFile)
    throw new UsageError(
      'practice up needs --env-file <file>',
      'the file receives the environment that points every runbook at the sandbox',
    );
  const name = practiceName(cli.name);
  await refuseWhenRunning(cli, name);
  const envFile = resolve(cli.envFile);
  const serveArgs = ['practice', 'serve', '--env-file', envFile, '--name', name];
  if (scenario) serveArgs.push('--scenario', scenario);
  // `--` before the script: Node 20 reads `--env-file` anywhere on its command line (and would load the file).
  const child = spawn(process.execPath, [...process.execArgv, '--', process.argv[1] as string, ...serveArgs], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
  const { ready, output, by } = await waitForSupervisor(child);
  if (!ready && by) throw new InterruptedError(by, 'practice up interrupted: the sandbox was stopped and removed');
  if (!ready) throw notStarted(output, scenario);
  child.stdout!.destroy();
  child.stderr!.destroy();
  child.unref();
  const down = `obexal-runbook practice down${cli.name ? ` --name ${name}` : ''}`;
  process.stdout.write(
    `practice sandbox running (pid ${child.pid})${scenario ? `, scenario ${scenario}` : ''}; ` +
      `environment in ${envFile}\n  load it: set -a; . ${envFile}; set +a\n  stop it: ${down}\n`,
  );
  return 0;
}

async function practiceDown(name: string): Promise<number> {
  const state = await readPracticeState(name);
  if (!state) {
    process.stdout.write(`no practice sandbox${name === 'default' ? '' : ` named ${name}`} is running for this HOME\n`);
    return 0;
  }
  if (isProcessAlive(state.pid)) process.kill(state.pid, 'SIGTERM');
  for (let i = 0; i < 300 && isProcessAlive(state.pid); i++) await delay(100);
  if (isProcessAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
  const { rm } = await import('node:fs/promises');
  if (existsSync(state.dir)) await rm(state.dir, { recursive: true, force: true });
  await clearPracticeState(name);
  process.stdout.write(`practice sandbox stopped; ${state.dir} removed\n`);
  return 0;
}
