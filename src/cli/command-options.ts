/**
 * Which options each command takes, and its own `--help`. An option a command does not take is a usage error
 * (exit 2): ignoring it would let `obexal-runbook status --pin 30d` or `backup --hold` look as if it did
 * something. A runbook takes the run options, and `--reason`, `--pin`, `--hold`/`--release` and a positional
 * dump only when it declares the input they set (read from the runbook file itself, so a runbook of one's own
 * gets the same checks and the same help).
 */
import { UsageError } from '../core/errors.js';
import type { Runbook } from '../engine/runbook-schema.js';

export const OPTION_HELP: Readonly<Record<string, string>> = {
  yes: '--yes            headless; accept non-destructive defaults (never confirms a destruction)',
  json: '--json           NDJSON events (a runbook) or JSON (a listing) on stdout',
  'dry-run': '--dry-run        plan and preflight only: touch nothing, never prompt',
  answers: '--answers FILE   answers for prompts (YAML: name: value)',
  resume: '--resume RUN_ID  continue a stopped run',
  verbose: '--verbose        command output and warnings in the log',
  quiet: '--quiet          headless: print only warnings, failures and the final line',
  reason: '--reason R       scheduled | pre-migration | pre-rotation | manual',
  pin: '--pin DURATION   keep this backup at least this long (a unit is required: 30d, 12h)',
  hold: '--hold           suspend every deletion (an incident)',
  release: '--release        lift the hold',
  scenario: '--scenario S     rotated-keys | bad-migration | pitr',
  'no-owner': '--no-owner       restore: every object owned by the restoring role (RESTORE_NO_OWNER; auto by default)',
  role: '--role ROLE      restore: pg_restore sets this role after connecting (RESTORE_ROLE)',
  to: '--to TIME        point-in-time recovery: a time with its zone, latest, or a pgBackRest backup label',
  'env-file': '--env-file F     where `practice up` writes the environment',
  name: '--name N         practice: a sandbox of its own name (state per HOME and name)',
};

/** The options every runbook run takes. */
export const RUN_OPTIONS = ['yes', 'json', 'dry-run', 'answers', 'resume', 'verbose', 'quiet'] as const;

/** Options that set a runbook input, and the input they set. */
export const INPUT_OPTIONS: Readonly<Record<string, string>> = {
  reason: 'reason',
  pin: 'pin',
  hold: 'mode',
  release: 'mode',
  'no-owner': 'no-owner',
  role: 'role',
  to: 'to',
};

/**
 * Point-in-time recovery through the commands an operator already knows (issue 15): `restore --to`, `drill --pitr`
 * and `backup --physical` run the runbooks pitr-restore, pitr-drill and physical-backup.
 */
export function runbookAlias(command: string, given: Set<string>): string {
  if (command === 'restore' && given.has('to')) return 'pitr-restore';
  if (command === 'drill' && given.delete('pitr')) return 'pitr-drill';
  if (command === 'backup' && given.delete('physical')) return 'physical-backup';
  return command;
}

interface CommandSpec {
  usage: string;
  summary: string;
  options: readonly string[];
}

/** The commands that are not runbooks. `prometheus` is listed for `status` so that its monitoring option passes. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  practice: {
    usage:
      'obexal-runbook practice [--scenario S] [--name N] | practice up --env-file F [--scenario S] | practice down',
    summary: 'start the practice sandbox and open the menu against it; `up`/`down` for scripts',
    options: ['scenario', 'env-file', 'name', 'verbose'],
  },
  runs: {
    usage: 'obexal-runbook runs list',
    summary: 'runs with their ids, state and journal (what --resume takes)',
    options: ['json', 'verbose'],
  },
  records: {
    usage: 'obexal-runbook records list | show <id> | verify | pubkey',
    summary: 'the signed records; `pubkey` prints the allowed-signers line',
    options: ['json', 'verbose'],
  },
  status: {
    usage: 'obexal-runbook status',
    summary: 'age of the newest verified backup and of the last passing drill, against thresholds',
    options: ['json', 'verbose', 'prometheus'],
  },
  config: {
    usage: 'obexal-runbook config [set NAME VALUE | unset NAME]',
    summary: 'every setting, its value (secrets as set/unset) and where it came from',
    options: ['json', 'verbose'],
  },
  validate: { usage: 'obexal-runbook validate <file>', summary: 'check a runbook file', options: ['verbose'] },
  actions: {
    usage: 'obexal-runbook actions [name]',
    summary: 'every action a runbook step can name: its description and its `with:` parameters',
    options: ['json', 'verbose'],
  },
};

function refuse(command: string, option: string, help: string): UsageError {
  return new UsageError(`${command} does not take --${option}`, `\`${help}\` lists what it takes`);
}

/** Refuses an option that `command` (not a runbook) does not take. */
export function checkCommandOptions(command: string | undefined, given: ReadonlySet<string>): void {
  const allowed = command === undefined ? ['verbose'] : COMMANDS[command]?.options;
  if (!allowed) return;
  for (const option of given) {
    if (option === 'help' || option === 'version') continue;
    if (allowed.includes(option)) continue;
    throw refuse(
      command ?? 'obexal-runbook',
      option,
      command ? `obexal-runbook ${command} --help` : 'obexal-runbook --help',
    );
  }
}

function declares(runbook: Runbook, input: string): boolean {
  return runbook.inputs.some((i) => i.name === input);
}

/** Refuses an option or a positional argument that the runbook has no input for. */
export function checkRunbookOptions(
  runbook: Runbook,
  commandName: string,
  given: ReadonlySet<string>,
  positionals: readonly string[],
): void {
  const help = `obexal-runbook ${commandName} --help`;
  const lists = `\`${help}\` lists what it takes`;
  for (const option of given) {
    if (option === 'help' || option === 'version' || (RUN_OPTIONS as readonly string[]).includes(option)) continue;
    const input = INPUT_OPTIONS[option];
    if (input === undefined || !declares(runbook, input)) throw refuse(commandName, option, help);
  }
  if (positionals.length > 0 && !declares(runbook, 'dump')) {
    throw new UsageError(`${commandName} takes no argument (got ${positionals.join(' ')})`, lists);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`, lists);
}

export function commandHelp(command: string): string | undefined {
  const spec = COMMANDS[command];
  if (!spec) return undefined;
  const options = spec.options.map((o) => OPTION_HELP[o]).filter((line): line is string => line !== undefined);
  const optionLines = options.length > 0 ? ['', 'options:', ...options.map((l) => `  ${l}`)] : [];
  return [`usage: ${spec.usage}`, '', spec.summary, ...optionLines].join('\n');
}

/** A runbook's own help, from its file: what it does, its argument, the options it takes and its inputs. */
export function runbookHelp(runbook: Runbook, commandName: string): string {
  const takesDump = declares(runbook, 'dump');
  const options = [...RUN_OPTIONS, ...Object.keys(INPUT_OPTIONS).filter((o) => declares(runbook, INPUT_OPTIONS[o]!))];
  const inputs = runbook.inputs.map((i) => `  ${i.name}${i.message ? `: ${i.message}` : ''}`);
  return [
    `usage: obexal-runbook ${commandName}${takesDump ? ' [dump]' : ''} [options]`,
    '',
    runbook.title,
    ...(runbook.description ? ['', runbook.description.trim()] : []),
    '',
    'options:',
    ...options.map((o) => `  ${OPTION_HELP[o] ?? `--${o}`}`),
    ...(inputs.length > 0 ? ['', 'answers (--answers FILE, or asked on a terminal):', ...inputs] : []),
    '',
    'exit codes: 0 ok · 1 a step failed · 2 usage · 3 answer or confirmation required · 4 resume refused',
    '            5 threshold missed · 130/143 interrupted (a closed output pipe counts as SIGTERM)',
  ].join('\n');
}
