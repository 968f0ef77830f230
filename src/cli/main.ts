/**
 * The executable's entry: parse the command line, dispatch to a plain command function, map typed errors
 * to DESIGN §3's exit codes. Commands print nothing themselves except through what they return.
 */
import { exitCodeOf, messageOf, RunbookError, UsageError } from '../core/errors.js';
import { sweepPrivateDirs } from '../core/private-dir.js';
import { redact } from '../core/redact.js';
import { parseCli, USAGE } from './args.js';
import { configCommand } from './commands/config.js';
import { recordsCommand } from './commands/records.js';
import { runsCommand } from './commands/runs.js';
import { validateCommand } from './commands/validate.js';
import { loadInvocation } from './environment.js';
import { runRunbookCommand } from './run-command.js';
import { TOOL_VERSION } from './version.js';

type Output = { text: string; exitCode: number };

async function dispatch(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli.version) return print({ text: TOOL_VERSION, exitCode: 0 });
  const [command, ...rest] = cli.positionals;
  if (cli.help || command === 'help') return print({ text: USAGE, exitCode: 0 });
  await sweepPrivateDirs();

  if (command === 'practice') {
    (await import('../sandbox/practice/requirements.js')).assertSandboxInstalled();
    const { practiceCommand } = await import('./commands/practice.js');
    return practiceCommand(rest, cli);
  }
  const invocation = loadInvocation(process.env);
  switch (command) {
    case undefined: {
      const { menuCommand } = await import('./commands/menu.js');
      return menuCommand(cli, invocation);
    }
    case 'config':
      return print(configCommand(invocation, rest));
    case 'validate':
      if (!rest[0]) throw new UsageError('usage: obexal-runbook validate <file>');
      return print(await validateCommand(rest[0]));
    case 'runs':
      return print(runsCommand(invocation.runsDir, rest));
    case 'records':
      return print(await recordsCommand(invocation, rest));
    case 'status': {
      const { statusCommand } = await import('./commands/status.js');
      return print(await statusCommand(invocation), { reportOnStdout: true });
    }
    default: {
      const extra: Record<string, string> = {};
      if (rest[0]) extra.dump = rest[0];
      if (rest.length > 1) throw new UsageError(`unexpected arguments: ${rest.slice(1).join(' ')}`, '`obexal-runbook --help`');
      return runRunbookCommand(command, cli, invocation, extra);
    }
  }
}

/** A report (status) goes to stdout whatever its exit code: monitoring reads it there. */
function print(output: Output, options: { reportOnStdout?: boolean } = {}): number {
  const stream = output.exitCode === 0 || options.reportOnStdout ? process.stdout : process.stderr;
  stream.write(`${redact(output.text)}\n`);
  return output.exitCode;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    process.stderr.write(`error: ${redact(messageOf(error))}\n`);
    const hint = error instanceof RunbookError ? error.hint : undefined;
    if (hint) process.stderr.write(`  what to do: ${redact(hint)}\n`);
    if (!(error instanceof RunbookError) && process.argv.includes('--verbose') && error instanceof Error && error.stack) {
      process.stderr.write(`${redact(error.stack)}\n`);
    }
    return exitCodeOf(error);
  }
}

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (a cron log piped through a slow writer must get every line).
process.exitCode = code;
if (process.stdout.writableLength === 0) process.exit(code);
else process.stdout.once('drain', () => process.exit(code));
