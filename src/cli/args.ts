/** The command line of DESIGN §3. */
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';

export interface CliOptions {
  yes: boolean;
  json: boolean;
  dryRun: boolean;
  verbose: boolean;
  quiet: boolean;
  answers?: string;
  resume?: string;
  reason?: string;
  pin?: string;
  noOwner: boolean;
  role?: string;
  /** Point-in-time recovery target (`restore --to`). */
  to?: string;
  envFile?: string;
  scenario?: string;
  /** practice: which sandbox of this HOME (default `default`). */
  name?: string;
  hold: boolean;
  release: boolean;
  /** status: write the Prometheus textfile here. */
  prometheus?: string;
  help: boolean;
  version: boolean;
  positionals: string[];
  /** The options given on the command line (long names), to refuse those a command does not take. */
  given: Set<string>;
}

const OPTIONS = {
  yes: { type: 'boolean', short: 'y', default: false },
  json: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  answers: { type: 'string' },
  resume: { type: 'string' },
  reason: { type: 'string' },
  pin: { type: 'string' },
  'no-owner': { type: 'boolean', default: false },
  role: { type: 'string' },
  to: { type: 'string' },
  pitr: { type: 'boolean', default: false },
  physical: { type: 'boolean', default: false },
  'env-file': { type: 'string' },
  scenario: { type: 'string' },
  name: { type: 'string' },
  hold: { type: 'boolean', default: false },
  release: { type: 'boolean', default: false },
  prometheus: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

export function parseCli(argv: string[]): CliOptions {
  try {
    const { values, positionals, tokens } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: OPTIONS,
    });
    return {
      yes: values.yes ?? false,
      json: values.json ?? false,
      dryRun: values['dry-run'] ?? false,
      verbose: values.verbose ?? false,
      quiet: values.quiet ?? false,
      answers: values.answers,
      resume: values.resume,
      reason: values.reason,
      pin: values.pin,
      noOwner: values['no-owner'] ?? false,
      role: values.role,
      to: values.to,
      envFile: values['env-file'],
      scenario: values.scenario,
      name: values.name,
      hold: values.hold ?? false,
      release: values.release ?? false,
      prometheus: values.prometheus,
      help: values.help ?? false,
      version: values.version ?? false,
      positionals,
      given: new Set(tokens.filter((t) => t.kind === 'option').map((t) => t.name)),
    };
  } catch (error) {
    throw new UsageError(
      (error as Error).message.split('\n')[0] ?? 'bad arguments',
      '`obexal-runbook --help` lists the commands and options',
    );
  }
}

/**
 * The whole command line, checked. A duration without a unit (`--pin 30`) is refused by the backup's preflight,
 * before it writes anything (exit 2), so that the refusal is in the run's log and record like any other.
 */
export function parseCommandLine(argv: string[]): CliOptions {
  const cli = parseCli(argv);
  if (cli.quiet && cli.verbose) throw new UsageError('--quiet and --verbose exclude each other', 'choose one');
  return cli;
}

export const USAGE = `obexal-runbook: back up, restore and drill an Obexal database

usage:
  obexal-runbook                          interactive menu (runbooks, recent runs, records)
  obexal-runbook <runbook> [options]      backup | restore [dump] | drill | key-rotation |
                                          reencrypt-secrets | rollback | retention | <file.yaml>
  obexal-runbook pitr-setup | backup --physical | restore --to TIME | drill --pitr
                                          point-in-time recovery through pgBackRest (docs/pitr.md)
  obexal-runbook practice [--scenario S]  start the practice sandbox and open the menu
  obexal-runbook practice up --env-file F [--scenario S] | practice down
  obexal-runbook runs list [--json]       runs, their ids, state and journal
  obexal-runbook records list [--json]|show <id>|verify|pubkey
  obexal-runbook status [--json] [--prometheus FILE]
                                          backups, drill, key-era register: 0 OK 1 WARNING 2 CRITICAL 3 UNKNOWN
  obexal-runbook config [--json] [set NAME VALUE | unset NAME]
  obexal-runbook validate <file>          check a runbook file
  obexal-runbook actions [name] [--json]  the actions a runbook step can name, with their parameters

options:
  --yes            headless; accept non-destructive defaults (never confirms a destruction)
  --json           NDJSON events on stdout (status, records list, runs list, config: one JSON document)
  --prometheus F   status: also write the figures for node_exporter's textfile collector to F (atomically)
  --dry-run        plan and preflight only: touch nothing, never prompt
  --answers FILE   answers for prompts (YAML: name: value)
  --resume RUN_ID  continue a stopped run
  --reason R       scheduled | pre-migration | pre-rotation | manual
  --pin DURATION   keep this backup at least this long (e.g. 30d)
  --no-owner       restore: every object owned by the restoring role (RESTORE_NO_OWNER; auto by default)
  --role ROLE      restore: pg_restore sets this role after connecting (RESTORE_ROLE)
  --hold/--release retention: suspend every deletion during an incident / lift the hold
  --verbose        command output and warnings in the log
  --quiet          headless: only warnings, failures and the final line
  --scenario S     practice: rotated-keys | bad-migration | pitr (prepared through the real runbooks)
  --name N         practice: which sandbox of this HOME (default: default)

\`obexal-runbook <command> --help\` shows what one command takes; an option it does not take is a usage error.

exit codes: 0 ok · 1 a step failed · 2 usage or invalid runbook · 3 answer or confirmation required
            4 resume refused · 5 threshold missed · 130/143 interrupted (cleanup done; a closed pipe is 143)
            status: 0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN (the monitoring-plugins convention)`;
