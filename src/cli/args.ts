/** The command line of DESIGN §3. */
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';

export interface CliOptions {
  yes: boolean;
  json: boolean;
  dryRun: boolean;
  verbose: boolean;
  answers?: string;
  resume?: string;
  reason?: string;
  pin?: string;
  envFile?: string;
  scenario?: string;
  /** practice: which sandbox of this HOME (default `default`). */
  name?: string;
  hold: boolean;
  release: boolean;
  help: boolean;
  version: boolean;
  positionals: string[];
}

export function parseCli(argv: string[]): CliOptions {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        yes: { type: 'boolean', short: 'y', default: false },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        answers: { type: 'string' },
        resume: { type: 'string' },
        reason: { type: 'string' },
        pin: { type: 'string' },
        'env-file': { type: 'string' },
        scenario: { type: 'string' },
        name: { type: 'string' },
        hold: { type: 'boolean', default: false },
        release: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
    return {
      yes: values.yes ?? false,
      json: values.json ?? false,
      dryRun: values['dry-run'] ?? false,
      verbose: values.verbose ?? false,
      answers: values.answers,
      resume: values.resume,
      reason: values.reason,
      pin: values.pin,
      envFile: values['env-file'],
      scenario: values.scenario,
      name: values.name,
      hold: values.hold ?? false,
      release: values.release ?? false,
      help: values.help ?? false,
      version: values.version ?? false,
      positionals,
    };
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments', '`obexal-runbook --help` lists the commands and options');
  }
}

export const USAGE = `obexal-runbook: back up, restore and drill an Obexal database

usage:
  obexal-runbook                          interactive menu (runbooks, recent runs, records)
  obexal-runbook <runbook> [options]      backup | restore [dump] | drill | key-rotation |
                                          reencrypt-secrets | rollback | retention | <file.yaml>
  obexal-runbook practice [--scenario S]  start the practice sandbox and open the menu
  obexal-runbook practice up --env-file F [--scenario S] | practice down
  obexal-runbook runs list                runs, their ids, state and journal
  obexal-runbook records list|show <id>|verify|pubkey
  obexal-runbook status                   age of the newest verified backup and last passing drill
  obexal-runbook config [set NAME VALUE | unset NAME]
  obexal-runbook validate <file>          check a runbook file

options:
  --yes            headless; accept non-destructive defaults (never confirms a destruction)
  --json           NDJSON events on stdout
  --dry-run        plan and preflight only: touch nothing, never prompt
  --answers FILE   answers for prompts (YAML: name: value)
  --resume RUN_ID  continue a stopped run
  --reason R       scheduled | pre-migration | pre-rotation | manual
  --pin DURATION   keep this backup at least this long (e.g. 30d)
  --hold/--release retention: suspend every deletion during an incident / lift the hold
  --verbose        command output and warnings in the log
  --scenario S     practice: rotated-keys | bad-migration (prepared through the real runbooks)
  --name N         practice: which sandbox of this HOME (default: default)

exit codes: 0 ok · 1 a step failed · 2 usage or invalid runbook · 3 answer or confirmation required
            4 resume refused · 5 threshold missed · 130/143 interrupted (cleanup done)`;
