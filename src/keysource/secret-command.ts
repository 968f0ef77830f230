/**
 * Runs a command that prints a secret (ENCRYPTION_KEY_COMMAND, BACKUP_IDENTITY_COMMAND: a vault CLI). No
 * shell; placeholders such as `{era}` are replaced inside single arguments (values validated by the caller);
 * the child gets the base variables plus those a vault CLI reads (VAULT_*, OP_*, BW_SESSION, …), and no
 * stdin, so that it can never wait for a person. Every line it prints is registered as a secret before
 * anything else happens with it; its stderr reaches the journal redacted.
 */
import { expandCommand, type TemplateValues } from '../core/command-template.js';
import { baseChildEnv, runProcess } from '../core/exec.js';
import { InterruptedError, messageOf, StepFailedError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';

/** Variables a vault or password-manager CLI needs, passed through when set. */
const VAULT_PREFIXES = ['VAULT_', 'OP_', 'BW_', 'PASSWORD_STORE_', 'SOPS_', 'GOPASS_', 'AWS_', 'AZURE_', 'GOOGLE_', 'CLOUDSDK_'];
const VAULT_NAMES = ['GNUPGHOME', 'GPG_TTY', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK', 'DBUS_SESSION_BUS_ADDRESS'];

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
  onStderr?: (line: string) => void;
}

/** True when the template names `{name}` (so that it prints a different secret per value). */
export function templateUses(template: string, name: string): boolean {
  return template.includes(`{${name}}`);
}

/** Runs the command; returns what it printed on stdout, trimmed (every line already registered as a secret). */
export async function runSecretCommand(options: SecretCommandOptions): Promise<string> {
  const [file, ...args] = expandCommand(options.template, options.values ?? {}, options.settingName);
  if (!file) throw new StepFailedError(`${options.settingName} is empty`, `set ${options.settingName} to the command that prints the secret`);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? SECRET_COMMAND_TIMEOUT_MS);
  const label = `${options.settingName} (${file})`;
  let stdout: string;
  try {
    const result = await runProcess({
      file,
      args,
      env: secretCommandEnv(options.env),
      signal: AbortSignal.any([options.signal, timeout]),
      captureStdout: true,
      label,
      onLine: (line, stream) => {
        if (stream === 'stdout') addSecret(line);
        else options.onStderr?.(line);
      },
    });
    stdout = result.stdout;
  } catch (error) {
    if (options.signal.aborted) throw error;
    if (timeout.aborted && error instanceof InterruptedError) {
      throw new StepFailedError(
        `${label} did not finish within ${Math.round((options.timeoutMs ?? SECRET_COMMAND_TIMEOUT_MS) / 1000)} s`,
        'the command must print the secret without asking anything (it gets no terminal input): log in to the vault first',
      );
    }
    throw new StepFailedError(messageOf(error), `check ${options.settingName}: run it by hand and check that it prints only the secret`, error);
  }
  for (const line of stdout.split('\n')) addSecret(line);
  const text = stdout.trim();
  if (text === '') throw new StepFailedError(`${label} printed nothing`, `check ${options.settingName}: it must print the secret on its standard output`);
  return text;
}
