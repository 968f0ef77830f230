/**
 * Runs one runbook: the TUI on a terminal, the headless reporter otherwise (no TTY, CI set, --yes or
 * --json). The headless path never imports Ink or React.
 */
import { readFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { refuseSecretAnswers } from './secret-answers.js';
import { parse as parseYaml } from 'yaml';
import { ResumeRefusedError, UsageError } from '../core/errors.js';
import { startRun, type EngineOptions } from '../engine/engine.js';
import type { RunEventListener } from '../engine/events.js';
import type { Interactor } from '../engine/interactor.js';
import { journalPath, readJournal, validateRunId, type JournalReplay } from '../engine/journal.js';
import { loadRunbookFile } from '../engine/load-runbook.js';
import type { StartRun } from '../engine/run-control.js';
import type { Runbook } from '../engine/runbook-schema.js';
import { HeadlessInteractor } from '../report/headless-interactor.js';
import { ndjsonReporter, textReporter } from '../report/text-reporter.js';
import type { CliOptions } from './args.js';
import type { Invocation } from './environment.js';
import { BUILTIN_RUNBOOKS_DIR } from './paths.js';
import { recordWriter } from './record-writer.js';
import { TOOL_VERSION } from './version.js';

export function builtinRunbooks(): string[] {
  try {
    return readdirSync(BUILTIN_RUNBOOKS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
  } catch {
    return [];
  }
}

export function runbookFileFor(nameOrFile: string): string {
  if (/\.ya?ml$/.test(nameOrFile) || nameOrFile.includes('/')) return nameOrFile;
  const file = join(BUILTIN_RUNBOOKS_DIR, `${nameOrFile}.yaml`);
  if (!existsSync(file)) {
    throw new UsageError(`unknown runbook or command "${nameOrFile}"`, `runbooks: ${builtinRunbooks().join(', ')}; \`obexal-runbook --help\` lists the commands`);
  }
  return file;
}

export function isHeadless(cli: CliOptions, env: Record<string, string | undefined>): boolean {
  return cli.yes || cli.json || cli.dryRun || Boolean(env.CI) || !process.stdout.isTTY || !process.stdin.isTTY;
}

async function readAnswers(file: string | undefined): Promise<Record<string, string>> {
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read the answers file ${file}: ${(error as Error).message.split('\n')[0]}`, 'an answers file is YAML: one `name: value` per line');
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`the answers file ${file} must be a mapping of name: value`);
  const answers = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)]));
  refuseSecretAnswers(answers, file);
  return answers;
}

function loadResume(invocation: Invocation, runId: string | undefined, runbook: Runbook): JournalReplay | undefined {
  if (!runId) return undefined;
  const path = journalPath(invocation.runsDir, validateRunId(runId));
  if (!existsSync(path)) {
    const hint = '`obexal-runbook runs list` shows the runs that can be resumed and their ids';
    throw new UsageError(`there is no run ${runId} to resume (no journal at ${path})`, hint);
  }
  const replay = readJournal(path);
  if (replay.header.runbook !== runbook.name) {
    throw new ResumeRefusedError(`run ${runId} is a ${replay.header.runbook} run, not ${runbook.name}`, `resume it with \`obexal-runbook ${replay.header.runbook} --resume ${runId}\``);
  }
  if (replay.header.runbookSha256 !== runbook.sha256) {
    throw new ResumeRefusedError(
      `refusing to resume run ${runId}: the runbook ${runbook.file} changed since the run started`,
      'a changed runbook may skip or repeat steps; start a new run (the journal of the old one stays for reference)',
    );
  }
  if (replay.lastOutcome === 'ok') throw new ResumeRefusedError(`run ${runId} already finished successfully`, 'start a new run');
  return replay;
}

export async function runRunbookCommand(nameOrFile: string, cli: CliOptions, invocation: Invocation, extraInputs: Record<string, string>): Promise<number> {
  const env = process.env;
  const headless = isHeadless(cli, env);
  const answers = await readAnswers(cli.answers);
  const inputValues: Record<string, string> = { ...answers, ...extraInputs };
  if (cli.reason) inputValues.reason = cli.reason;
  if (cli.pin) inputValues.pin = cli.pin;
  if (cli.hold && cli.release) throw new UsageError('--hold and --release exclude each other');
  if (cli.hold) inputValues.mode = 'hold';
  if (cli.release) inputValues.mode = 'release';

  const prepare = async (name: string, interactor: Interactor, listener: RunEventListener): Promise<EngineOptions> => {
    const runbook = await loadRunbookFile(runbookFileFor(name));
    return {
      runbook,
      settings: invocation.settings,
      interactor,
      mode: interactor.mode,
      dryRun: cli.dryRun,
      inputValues,
      namedByInvocation: invocation.namedByInvocation,
      runsDir: invocation.runsDir,
      resume: loadResume(invocation, cli.resume, runbook),
      writeRecord: recordWriter(invocation.settings),
      toolVersion: TOOL_VERSION,
      listeners: [listener],
    };
  };

  if (!headless) {
    const { runInteractive } = await import('../ui/interactive.js');
    const start: StartRun = async (name, interactor, listener) => startRun(await prepare(name, interactor, listener));
    return runInteractive({ startRun: start, runbook: nameOrFile });
  }

  const write = (line: string) => process.stdout.write(`${line}\n`);
  const listener = cli.json ? ndjsonReporter(write) : textReporter(write, { verbose: cli.verbose });
  const interactor = new HeadlessInteractor({ answers, yes: cli.yes, confirm: env.CONFIRM, confirmTarget: env.CONFIRM_TARGET });
  const run = startRun(await prepare(nameOrFile, interactor, listener));
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => run.control.abort(signal);
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return (await run.done).exitCode;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
