/**
 * What every PITR step needs, gathered once per step: the settings parsed into their type, the pgBackRest program,
 * the secrets (the repository passphrase from the vault command, the bucket key from the AWS variables) and, when
 * the step works on the source cluster, what the source is and who owns it.
 */
import { UsageError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';
import type { ActionContext } from '../engine/action.js';
import { withClient } from '../pg/client.js';
import { serverUserFor } from '../pg/server-user.js';
import { parseConnectionString, type PgTarget } from '../pg/target.js';
import { findPgBackRest, type PgBackRestRunner, type PgBackRestSecrets } from './pgbackrest.js';
import { parsePitrSettings, type PitrSettings } from './settings.js';
import { inspectSource, type SourceCluster } from './source.js';

const CIPHER_SECRET = 'pitr-cipher-pass';

export interface PitrContext {
  settings: PitrSettings;
  target: PgTarget;
  runner: PgBackRestRunner;
  source: SourceCluster | undefined;
}

async function cipherPass(ctx: ActionContext, settings: PitrSettings): Promise<string | undefined> {
  const held = ctx.secrets.get(CIPHER_SECRET);
  if (held) return held;
  let value = ctx.settings.env.PITR_CIPHER_PASS;
  if (!value && settings.cipherPassCommand) {
    const { runSecretCommand } = await import('../keysource/secret-command.js');
    value = await runSecretCommand({
      settingName: 'PITR_CIPHER_PASS_COMMAND',
      template: settings.cipherPassCommand,
      env: ctx.settings.env,
      signal: ctx.signal,
    });
  }
  if (value) ctx.secrets.set(CIPHER_SECRET, value);
  return value;
}

export const NO_PASSPHRASE_HINT =
  'set PITR_CIPHER_PASS_COMMAND to the vault command that prints the repository passphrase (make ' +
  'one with `openssl rand -base64 48` and store it in the vault beside the era keys)';

async function secretsOf(ctx: ActionContext, settings: PitrSettings, target: PgTarget): Promise<PgBackRestSecrets> {
  const env = ctx.settings.env;
  for (const value of [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]) addSecret(value);
  return {
    cipherPass: await cipherPass(ctx, settings),
    s3Key: env.AWS_ACCESS_KEY_ID,
    s3KeySecret: env.AWS_SECRET_ACCESS_KEY,
    s3Token: env.AWS_SESSION_TOKEN,
    databasePassword: target.password,
  };
}

export function targetOf(ctx: ActionContext): PgTarget {
  return parseConnectionString(
    ctx.settings.require('DATABASE_URL', 'set DATABASE_URL to the database whose cluster pgBackRest protects'),
  );
}

export async function pitrContext(
  ctx: ActionContext,
  options: { source: boolean; requirePassphrase?: boolean },
): Promise<PitrContext> {
  const settings = parsePitrSettings(ctx.settings);
  const target = targetOf(ctx);
  const program = await findPgBackRest(ctx.settings.env.PATH);
  const secrets = await secretsOf(ctx, settings, target);
  if (options.requirePassphrase && !secrets.cipherPass) {
    throw new UsageError(
      'the pgBackRest repository would not be encrypted: no passphrase is configured',
      NO_PASSPHRASE_HINT,
    );
  }
  const source = options.source
    ? await withClient(target, (client) => inspectSource(client, target), ctx.signal)
    : undefined;
  const runner: PgBackRestRunner = {
    program,
    configFile: settings.configFile,
    stanza: settings.stanza,
    user: source ? ((process.getuid?.() ?? -1) === 0 ? source.osUser : undefined) : await serverUserFor(),
    secrets,
    signal: ctx.signal,
    onLine: (line, stream) => ctx.output(line, stream === 'stderr' ? 'stderr' : 'stdout'),
  };
  return { settings, target, runner, source };
}

/** When the source's last WAL segment was archived (pg_stat_archiver), or null when the source cannot say. */
export async function lastArchivedAt(target: PgTarget, signal: AbortSignal): Promise<string | null> {
  try {
    return await withClient(
      { ...target, connectTimeoutSeconds: 5 },
      async (client) => {
        const row = await client.query<{ at: Date | null }>('SELECT last_archived_time AS at FROM pg_stat_archiver');
        return row.rows[0]?.at ? row.rows[0].at.toISOString() : null;
      },
      signal,
    );
  } catch {
    return null;
  }
}
