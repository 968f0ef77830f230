/**
 * The executable's entry: parse the command line, dispatch to a plain command function, map typed errors
 * to DESIGN §3's exit codes. Commands print nothing themselves except through what they return.
 */
import { exitCodeOf, messageOf, RunbookError, UsageError } from '../core/errors.js';
import { sweepPrivateDirs } from '../core/private-dir.js';
import { redact } from '../core/redact.js';
import { parseCommandLine, USAGE } from './args.js';
import { checkCommandOptions, commandHelp, runbookAlias, runbookHelp } from './command-options.js';
import { guardOutputStreams, isClosed, onStreamClosed, writeErrLine, writeOutLine } from './output-streams.js';
import { TOOL_VERSION } from '../core/version.js';

type Output = { text: string; exitCode: number };

// Every command's modules are imported when it is dispatched, so `--help` or `status` loads only what it uses.

async function dispatch(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (cli.version) return print({ text: TOOL_VERSION, exitCode: 0 });
  const [command, ...rest] = cli.positionals;
  if (command === 'help') return print({ text: await helpFor(rest[0]), exitCode: 0 });
  const named = command === undefined ? undefined : runbookAlias(command, new Set(cli.given));
  if (cli.help) return print({ text: await helpFor(named), exitCode: 0 });
  checkCommandOptions(command, cli.given);
  await sweepPrivateDirs();

  if (command === 'practice') {
    (await import('./sandbox-requirements.js')).assertSandboxInstalled();
    const { practiceCommand } = await import('./commands/practice.js');
    return practiceCommand(rest, cli);
  }
  const invocation = (await import('./environment.js')).loadInvocation(process.env);
  switch (command) {
    case undefined: {
      const { menuCommand } = await import('./commands/menu.js');
      return menuCommand(cli, invocation);
    }
    case 'config':
      return print((await import('./commands/config.js')).configCommand(invocation, rest, { json: cli.json }));
    case 'validate':
      if (!rest[0]) throw new UsageError('usage: obexal-runbook validate <file>');
      return print(await (await import('./commands/validate.js')).validateCommand(rest[0]));
    case 'actions': {
      const [{ actionsCommand }, { actionCatalogue }] = await Promise.all([
        import('./commands/actions.js'),
        import('./action-catalogue.js'),
      ]);
      return print(actionsCommand(actionCatalogue(), rest, { json: cli.json }));
    }
    case 'runs':
      return print((await import('./commands/runs.js')).runsCommand(invocation.runsDir, rest, { json: cli.json }));
    case 'records':
      return print(await (await import('./commands/records.js')).recordsCommand(invocation, rest, { json: cli.json }));
    case 'status': {
      const { statusCommand } = await import('./commands/status.js');
      const report = await statusCommand(invocation, { json: cli.json, prometheus: cli.prometheus });
      return print(report, { reportOnStdout: true });
    }
    default: {
      const { runRunbookCommand } = await import('./run-command.js');
      return runRunbookCommand(runbookAlias(command, cli.given), cli, invocation, rest);
    }
  }
}

/** The general usage, or one command's own help (a runbook's is read from its file). */
async function helpFor(command: string | undefined): Promise<string> {
  if (command === undefined) return USAGE;
  const text = commandHelp(command);
  if (text !== undefined) return text;
  const { loadRunbook } = await import('./run-command.js');
  const runbook = await loadRunbook(command);
  return runbookHelp(runbook, command);
}

/** A report (status) goes to stdout whatever its exit code: monitoring reads it there. */
function print(output: Output, options: { reportOnStdout?: boolean } = {}): number {
  const write = output.exitCode === 0 || options.reportOnStdout ? writeOutLine : writeErrLine;
  write(redact(output.text));
  return output.exitCode;
}

export async function main(argv: string[]): Promise<number> {
  guardOutputStreams();
  try {
    return await dispatch(argv);
  } catch (error) {
    // A monitoring system reads a plugin's stdout and takes 3 as UNKNOWN (a bad command line included).
    const forMonitoring = argv.find((arg) => !arg.startsWith('-')) === 'status';
    if (forMonitoring) process.stdout.write(`OBEXAL-RUNBOOK UNKNOWN - ${redact(messageOf(error))}\n`);
    writeErrLine(`error: ${redact(messageOf(error))}`);
    const hint = error instanceof RunbookError ? error.hint : undefined;
    if (hint) writeErrLine(`  what to do: ${redact(hint)}`);
    if (
      !(error instanceof RunbookError) &&
      process.argv.includes('--verbose') &&
      error instanceof Error &&
      error.stack
    ) {
      writeErrLine(redact(error.stack));
    }
    return forMonitoring ? 3 : exitCodeOf(error);
  }
}

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (a cron log piped through a slow writer must get every line); a stdout whose
// reader is gone never drains.
process.exitCode = code;
if (process.stdout.writableLength === 0 || isClosed('stdout')) process.exit(code);
else {
  process.stdout.once('drain', () => process.exit(code));
  onStreamClosed(() => process.exit(code));
}
