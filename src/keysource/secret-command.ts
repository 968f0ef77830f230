/**
 * Runs a command that prints a secret (ENCRYPTION_KEY_COMMAND, BACKUP_IDENTITY_COMMAND: a vault CLI). No
 * shell; placeholders such as `{era}` are replaced inside single arguments (values validated by the caller);
 * the child gets the base variables plus those a vault CLI reads (VAULT_*, OP_*, BW_SESSION, …), and no
 * stdin, so that it can never wait for a person. Every line it prints, on stdout and on stderr, is registered as a
 * secret before anything else happens with it, and none of it is ever shown: `key=<key>`, a key printed twice,
 * `set -x` tracing or an identity printed on stderr before a failure are described by their shape only.
 */
import { expandCommand, type TemplateValues } from '../core/command-template.js';
import { baseChildEnv, startProcess, type ProcessResult } from '../core/exec.js';
import { InterruptedError, messageOf, StepFailedError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';

/** Variables a vault or password-manager CLI needs, passed through when set. */
const VAULT_PREFIXES = [
  'VAULT_',
  'OP_',
  'BW_',
  'PASSWORD_STORE_',
  'SOPS_',
  'GOPASS_',
  'AWS_',
  'AZURE_',
  'GOOGLE_',
  'CLOUDSDK_',
];
const VAULT_NAMES = [
  'GNUPGHOME',
  'GPG_TTY',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'SSH_AUTH_SOCK',
  'DBUS_SESSION_BUS_ADDRESS',
];

export const SECRET_COMMAND_TIMEOUT_MS = 120_000;

export function secretCommandEnv(from: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env = baseChildEnv(from as Record<string, string | undefined>);
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined) continue;
    if (VAULT_NAMES.includes(name) || VAULT_PREFIXES.some((prefix) => name.startsWith(prefix))) env[name] = value;
  }
  return env;
}

export interface SecretCommandOptions {
  /** The setting the template came from, for messages (ENCRYPTION_KEY_COMMAND). */
  settingName: string;
  template: string;
  values?: TemplateValues;
  /** The environment the child's variables are taken from (the invocation's). */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  timeoutMs?: number;
  /** A note for the operator about the command's output (its shape only, never its content). */
  onNote?: (text: string) => void;
}

/** True when the template names `{name}` (so that it prints a different secret per value). */
export function templateUses(template: string, name: string): boolean {
  return template.includes(`{${name}}`);
}

/** Words this long in a secret command's output are registered as secrets on their own (`key=<k>`, `+ echo <k>`). */
const MIN_SECRET_WORD = 16;
const WORD_SEPARATORS = /[\s=:'"`,;()[\]{}<>]+/;

/** Registers a line of a secret command's output, and every long word in it, with the redaction layer. */
function registerOutputLine(line: string): void {
  addSecret(line);
  for (const word of line.split(WORD_SEPARATORS)) if (word.length >= MIN_SECRET_WORD) addSecret(word);
}

/** "no line", "1 line", "3 lines": how much a command printed, never what. */
export function lineCount(count: number): string {
  return count === 0 ? 'no line' : count === 1 ? '1 line' : `${count} lines`;
}

/** The non-empty lines of a command's standard output, trimmed (CR of CRLF endings included). */
export function contentLinesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

const NOT_SHOWN = 'not shown: everything a secret command prints is secret';

/**
 * Runs the command; returns what it printed on stdout, trimmed. Everything it prints, on stdout and on stderr,
 * is registered as a secret and never shown, journalled or quoted in a message: a message describes only the
 * output's shape (lines, exit code).
 */
export async function runSecretCommand(options: SecretCommandOptions): Promise<string> {
  const [file, ...args] = expandCommand(options.template, options.values ?? {}, options.settingName);
  if (!file)
    throw new StepFailedError(
      `${options.settingName} is empty`,
      `set ${options.settingName} to the command that prints the secret`,
    );
  const timeout = AbortSignal.timeout(options.timeoutMs ?? SECRET_COMMAND_TIMEOUT_MS);
  const label = `${options.settingName} (${file})`;
  let stderrLines = 0;
  let result: ProcessResult;
  try {
    result = await startProcess({
      file,
      args,
      env: secretCommandEnv(options.env),
      signal: AbortSignal.any([options.signal, timeout]),
      captureStdout: true,
      label,
      onLine: (line, stream) => {
        registerOutputLine(line);
        if (stream === 'stderr' && line.trim() !== '') stderrLines += 1;
      },
    }).done;
  } catch (error) {
    if (options.signal.aborted) throw error;
    if (timeout.aborted && error instanceof InterruptedError) {
      throw new StepFailedError(
        `${label} did not finish within ${Math.round((options.timeoutMs ?? SECRET_COMMAND_TIMEOUT_MS) / 1000)} s`,
        'the command must print the secret without asking anything (it gets no terminal input): log ' +
          'in to the vault first',
      );
    }
    const hint = `check ${options.settingName}: run it by hand and check that it prints only the secret`;
    throw new StepFailedError(messageOf(error), hint);
  }
  for (const line of result.stdout.split('\n')) registerOutputLine(line);
  const stdoutLines = contentLinesOf(result.stdout).length;
  const onStderr = `${lineCount(stderrLines)} on its error output`;
  const printed = `${lineCount(stdoutLines)} on its standard output and ${onStderr} (${NOT_SHOWN})`;
  if (result.exitCode !== 0) {
    throw new StepFailedError(
      `${label} exited with code ${result.exitCode}; it printed ${printed}`,
      `run ${options.settingName} by hand to read its messages (is the vault reachable, are you logged in?); ` +
        'it must exit 0 and print only the secret',
    );
  }
  const text = result.stdout.trim();
  if (text === '') {
    throw new StepFailedError(
      `${label} printed nothing on its standard output (${onStderr}, ${NOT_SHOWN})`,
      `check ${options.settingName}: it must print the secret on its standard output`,
    );
  }
  if (stderrLines > 0) options.onNote?.(`${label} also wrote ${onStderr} (${NOT_SHOWN}); run it by hand to read them`);
  return text;
}
