/** The one-shot subcommands: `reencrypt-secrets` and `rotate-keys [grace_hours]`. */
import { StepFailedError, UsageError } from '../../core/errors.js';
import { readDatabaseUrl, readKeyRing } from './config.js';
import { connectClient } from './db.js';
import { resolveEncryptedColumns } from './encrypted-columns.js';
import type { Output } from './output.js';
import { reencryptSecrets, UnreadableSecretsError } from './reencrypt.js';
import { parseGraceHours, rotateSigningKeys } from './rotate-keys.js';
import { describeUnreadable } from './secret-scan.js';

export async function reencryptSecretsCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  if (args.length > 0)
    throw new UsageError(
      `reencrypt-secrets takes no arguments (got ${args.join(' ')})`,
      'run it as: reencrypt-secrets',
    );
  const databaseUrl = readDatabaseUrl(env);
  const keys = readKeyRing(env);
  const client = await connectClient(databaseUrl);
  try {
    out.info(
      `re-encrypting every secret under ENCRYPTION_KEY, reading with it and ${keys.old.length} ` +
        `key(s) of ENCRYPTION_KEY_OLD`,
    );
    const columns = await resolveEncryptedColumns(client);
    // REENCRYPT_PAUSE_AFTER_BATCH_MS: the sandbox's stand-in for a slow database (practice and tests of a kill midway).
    const pause = Number(process.env.REENCRYPT_PAUSE_AFTER_BATCH_MS ?? 0);
    const result = await reencryptSecrets(client, keys, columns, {
      log: (line) => out.info(line),
      ...(pause > 0 ? { pauseAfterBatchMs: pause } : {}),
    });
    const perTable = result.columns.map((c) => `${c.column.table} ${c.reencrypted}/${c.values}`).join(', ');
    out.info(
      `done: ${result.reencrypted} of ${result.values} value(s) re-encrypted (${perTable}) ` +
        `in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    if (result.skippedConcurrent > 0) {
      throw new StepFailedError(
        `${result.skippedConcurrent} value(s) changed while they were being re-encrypted and were left as they were`,
        'run reencrypt-secrets again: values already under ENCRYPTION_KEY are left alone',
      );
    }
    out.info('every encrypted value now reads under ENCRYPTION_KEY');
    return 0;
  } catch (error) {
    if (error instanceof UnreadableSecretsError) {
      throw new StepFailedError(
        `cannot re-encrypt: some values open under none of the keys given; ` +
          `${error.phase === 'check' ? 'nothing was changed' : 'the batches before them were re-encrypted'}\n` +
          describeUnreadable(error.problems),
        'add the key of the era these values were written under to ENCRYPTION_KEY_OLD (comma-separated) and run again',
      );
    }
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function rotateKeysCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  if (args.length > 1)
    throw new UsageError('rotate-keys takes at most one argument', 'run it as: rotate-keys [grace_hours]');
  const graceHours = parseGraceHours(args[0]);
  if (graceHours === undefined) {
    throw new UsageError(
      `grace_hours must be a non-negative number of hours, not ${JSON.stringify(args[0])}`,
      'run it as: rotate-keys [grace_hours] (default 24)',
    );
  }
  const databaseUrl = readDatabaseUrl(env);
  const keys = readKeyRing(env);
  const client = await connectClient(databaseUrl);
  try {
    const result = await rotateSigningKeys(client, keys, graceHours);
    out.info(`new active signing key ${result.newKid}`);
    out.info(result.retiredKids.length > 0 ? `retired ${result.retiredKids.join(', ')}` : 'no active key to retire');
    out.info(
      result.purgedKids.length > 0
        ? `purged ${result.purgedKids.length} key(s) retired more than ${graceHours} hour(s) ` +
            `ago: ${result.purgedKids.join(', ')}`
        : `no key retired more than ${graceHours} hour(s) ago to purge`,
    );
    return 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}
