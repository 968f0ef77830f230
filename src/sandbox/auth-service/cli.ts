/**
 * The sandbox auth-service: one executable with Obexal's subcommands, configured only by its environment.
 *   serve | reencrypt-secrets | rotate-keys [grace_hours]
 * Exit codes: 0 ok, 1 refused or failed (the message names what and the hint what to do), 2 usage.
 */
import { ExitCode, exitCodeOf, messageOf, RunbookError, UsageError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { reencryptSecretsCommand, rotateKeysCommand } from './commands.js';
import type { Output } from './output.js';
import { serve } from './serve.js';

const USAGE = `usage: obexal-sandbox-auth-service <subcommand>
  serve                       serve Obexal's auth API (PORT, HOST=127.0.0.1, ISSUER)
  reencrypt-secrets           re-encrypt every stored secret under ENCRYPTION_KEY
  rotate-keys [grace_hours]   new active signing key; purge keys retired more than grace_hours ago (24)
environment: DATABASE_URL, ENCRYPTION_KEY, ENCRYPTION_KEY_OLD (comma-separated)`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const [subcommand, ...args] = argv;
  try {
    switch (subcommand) {
      case 'serve':
        if (args.length > 0)
          throw new UsageError('serve takes no arguments', 'configure it through PORT, HOST and ISSUER');
        return await serve(env, out);
      case 'reencrypt-secrets':
        return await reencryptSecretsCommand(args, env, out);
      case 'rotate-keys':
        return await rotateKeysCommand(args, env, out);
      case '-h':
      case '--help':
      case 'help':
        out.info(USAGE);
        return ExitCode.ok;
      default:
        throw new UsageError(subcommand === undefined ? 'no subcommand given' : `unknown subcommand: ${subcommand}`);
    }
  } catch (error) {
    const code = exitCodeOf(error);
    out.error(`obexal-sandbox-auth-service: ${redact(messageOf(error))}`);
    if (error instanceof RunbookError && error.hint) out.error(`hint: ${error.hint}`);
    if (code === ExitCode.usage) out.error(USAGE);
    return code === ExitCode.usage ? ExitCode.usage : ExitCode.stepFailed;
  }
}
