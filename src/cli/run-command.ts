/**
 * Runs one runbook: the TUI on a terminal, the headless reporter otherwise (no TTY, CI set, --yes, --json,
 * --dry-run or --quiet). The headless path never imports Ink or React.
 */
import { plainSettingsOf } from '../core/parsed-settings.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { refuseSecretAnswers } from './secret-answers.js';
import { checkAnswerValues, MAX_ANSWERS_FILE_BYTES, MAX_YAML_ALIASES, readBoundedFile } from '../core/input-limits.js';
import { checkOwnedFolder } from '../core/owned-folder.js';
import { ResumeRefusedError, UsageError } from '../core/errors.js';
import { startRun, type EngineOptions } from '../engine/engine.js';
import type { RunEventListener } from '../engine/events.js';
import type { Interactor } from '../engine/interactor.js';
import { journalPath, readJournal, validateRunId, type JournalReplay } from '../engine/journal.js';
import type { StartRun } from '../engine/run-control.js';
import type { Runbook } from '../engine/runbook-schema.js';
import { HeadlessInteractor } from '../report/headless-interactor.js';
import { ndjsonReporter, textReporter } from '../report/text-reporter.js';
import type { CliOptions } from './args.js';
import type { Invocation } from './environment.js';
import { checkRunbookOptions } from './command-options.js';
import { onStreamClosed, stdoutIsStderr, writeErrLine, writeOutLine } from './output-streams.js';
import { actionCatalogue } from './action-catalogue.js';
import { BUILTIN_RUNBOOKS_DIR } from '../core/package-root.js';
import { recordsDirOf, recordWriter } from './record-writer.js';
import { loadRunbookCached } from './runbook-cache.js';
import { TOOL_VERSION } from '../core/version.js';

export function builtinRunbooks(): string[] {
  try {
    return readdirSync(BUILTIN_RUNBOOKS_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
  } catch {
    return [];
  }
}

export function runbookFileFor(nameOrFile: string): string {
  if (/\.ya?ml$/.test(nameOrFile) || nameOrFile.includes('/')) return nameOrFile;
  const file = join(BUILTIN_RUNBOOKS_DIR, `${nameOrFile}.yaml`);
  if (!existsSync(file)) {
    throw new UsageError(
      `unknown runbook or command "${nameOrFile}"`,
      `runbooks: ${builtinRunbooks().join(', ')}; \`obexal-runbook --help\` lists the commands`,
    );
  }
  return file;
}

/**
 * A built-in runbook by name, or a runbook file, validated against the action catalogue; with `configDir`, the
 * validation an earlier run of this build made of the same bytes is reused (runbook-cache.ts).
 */
export async function loadRunbook(nameOrFile: string, configDir?: string): Promise<Runbook> {
  const file = runbookFileFor(nameOrFile);
  const load = async (path: string) =>
    (await import('../engine/load-runbook.js')).loadRunbookFile(path, actionCatalogue());
  return configDir === undefined ? load(file) : loadRunbookCached(file, configDir, load);
}

export function isHeadless(cli: CliOptions, env: Record<string, string | undefined>): boolean {
  return (
    cli.yes || cli.json || cli.dryRun || cli.quiet || Boolean(env.CI) || !process.stdout.isTTY || !process.stdin.isTTY
  );
}

async function readAnswers(file: string | undefined): Promise<Record<string, string>> {
  if (!file) return {};
  const unreadable = (error: unknown) =>
    new UsageError(
      `cannot read the answers file ${file}: ${(error as Error).message.split('\n')[0]}`,
      'an answers file is YAML: one `name: value` per line',
    );
  const bytes = await readBoundedFile(file, MAX_ANSWERS_FILE_BYTES, 'the answers file', unreadable);
  let parsed: unknown;
  const { parseYaml } = await import('./yaml-parse.js');
  try {
    parsed = parseYaml(bytes.toString('utf8'), { maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    throw unreadable(error);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`the answers file ${file} must be a mapping of name: value`);
  const answers = Object.fromEntries(
    Object.entries(parsed).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)]),
  );
  checkAnswerValues(answers, `in ${file}`);
  refuseSecretAnswers(answers, file);
  return answers;
}

export function loadResume(
  invocation: Invocation,
  runId: string | undefined,
  runbook: Runbook,
): JournalReplay | undefined {
  if (!runId) return undefined;
  const path = journalPath(invocation.runsDir, validateRunId(runId));
  if (!existsSync(path)) {
    const hint = '`obexal-runbook runs list` shows the runs that can be resumed and their ids';
    throw new UsageError(`there is no run ${runId} to resume (no journal at ${path})`, hint);
  }
  const replay = readJournal(path);
  if (replay.header.runbook !== runbook.name) {
    throw new ResumeRefusedError(
      `run ${runId} is a ${replay.header.runbook} run, not ${runbook.name}`,
      `resume it with \`obexal-runbook ${replay.header.runbook} --resume ${runId}\``,
    );
  }
  if (replay.header.runbookSha256 !== runbook.sha256) {
    throw new ResumeRefusedError(
      `refusing to resume run ${runId}: the runbook ${runbook.file} changed since the run started`,
      'a changed runbook may skip or repeat steps; start a new run (the journal of the old one stays for reference)',
    );
  }
  if (replay.lastOutcome === 'ok')
    throw new ResumeRefusedError(`run ${runId} already finished successfully`, 'start a new run');
  return replay;
}

/** BACKUP_DIR and RECORDS_DIR belong to the running user (the state folder was checked when it was opened). */
export function checkRunFolders(invocation: Invocation): void {
  const backupDir = plainSettingsOf(invocation.settings).backupDir;
  if (backupDir) checkOwnedFolder(backupDir, 'BACKUP_DIR');
  checkOwnedFolder(recordsDirOf(invocation.settings), 'RECORDS_DIR');
}

/** The runbook's input values the command line gives: the answers file, then flags and the positional dump. */
function inputValuesOf(
  cli: CliOptions,
  answers: Record<string, string>,
  positionals: string[],
): Record<string, string> {
  const inputValues: Record<string, string> = { ...answers };
  if (positionals[0]) inputValues.dump = positionals[0];
  if (cli.reason) inputValues.reason = cli.reason;
  if (cli.pin) inputValues.pin = cli.pin;
  checkAnswerValues(inputValues, 'on the command line');
  if (cli.noOwner) inputValues['no-owner'] = 'yes';
  if (cli.role) inputValues.role = cli.role;
  if (cli.to !== undefined) inputValues.to = cli.to;
  if (cli.hold && cli.release) throw new UsageError('--hold and --release exclude each other');
  if (cli.hold) inputValues.mode = 'hold';
  if (cli.release) inputValues.mode = 'release';
  return inputValues;
}

export async function runRunbookCommand(
  nameOrFile: string,
  cli: CliOptions,
  invocation: Invocation,
  positionals: string[],
): Promise<number> {
  const env = process.env;
  const loaded = await loadRunbook(nameOrFile, invocation.settings.configDir);
  checkRunbookOptions(loaded, nameOrFile, cli.given, positionals);
  checkRunFolders(invocation);
  const headless = isHeadless(cli, env);
  const answers = await readAnswers(cli.answers);
  const inputValues = inputValuesOf(cli, answers, positionals);

  // Headless, the run starts at once: the runbook read above is the one it runs (reading and validating it again
  // cost 40-90 ms). The TUI reads it again when the operator starts it, minutes later maybe.
  let preloaded: Runbook | undefined = headless ? loaded : undefined;
  const prepare = async (name: string, interactor: Interactor, listener: RunEventListener): Promise<EngineOptions> => {
    const runbook = name === nameOrFile && preloaded ? preloaded : await loadRunbook(name);
    preloaded = undefined;
    return {
      runbook,
      actions: actionCatalogue(),
      settings: invocation.settings,
      interactor,
      mode: interactor.mode,
      dryRun: cli.dryRun,
      inputValues,
      namedByInvocation: invocation.namedByInvocation,
      runsDir: invocation.runsDir,
      resume: loadResume(invocation, cli.resume, runbook),
      writeRecord: recordWriter(invocation.settings),
      command: name,
      toolVersion: TOOL_VERSION,
      listeners: [listener],
    };
  };

  if (!headless) {
    const { runInteractive } = await import('../ui/interactive.js');
    const start: StartRun = async (name, interactor, listener) => startRun(await prepare(name, interactor, listener));
    return runInteractive({ startRun: start, runbook: nameOrFile });
  }

  const interactor = new HeadlessInteractor({
    answers,
    yes: cli.yes,
    confirm: env.CONFIRM,
    confirmTarget: env.CONFIRM_TARGET,
  });
  const run = startRun(await prepare(nameOrFile, interactor, headlessReporter(cli)));
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => run.control.abort(signal);
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  // A reader that went away (`backup | head -1`, SIGPIPE's EPIPE) stops the run as SIGTERM does: cleanup, exit 143.
  const offClosed = onStreamClosed(() => run.control.abort('SIGTERM'));
  try {
    return (await run.done).exitCode;
  } finally {
    offClosed();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/**
 * The headless run's lines: the log (or NDJSON) on stdout, `--quiet` keeping only warnings, failures and the
 * final line; and a copy of the warnings and failures on stderr unless stderr is the same file as stdout.
 */
function headlessReporter(cli: CliOptions): RunEventListener {
  const level = cli.quiet ? 'quiet' : 'all';
  const log = cli.json ? ndjsonReporter(writeOutLine) : textReporter(writeOutLine, { verbose: cli.verbose, level });
  if (stdoutIsStderr()) return log;
  const alerts = textReporter(writeErrLine, { verbose: false, level: 'alerts' });
  return (event) => {
    log(event);
    alerts(event);
  };
}
