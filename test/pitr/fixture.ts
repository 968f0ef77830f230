/**
 * PITR tests' set-up: the practice stack (cluster, seeded Obexal database, bucket, vault, auth-service) with the `pitr`
 * scenario's repository (src/sandbox/practice/pitr-repository.ts): a second s3rver serving HTTPS with a certificate
 * made with openssl, the passphrase in the vault, a restart command for the cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { startPitrRepository } from '../../src/sandbox/practice/pitr-repository.js';
import { startPracticeStack, type PracticeStack } from '../../src/sandbox/practice/stack.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { withDatabaseUrl } from '../helpers/pg.js';

/** PITR tests are skipped where Debian's pgbackrest is not installed (CI installs it). */
export const hasPgBackRest = existsSync('/usr/bin/pgbackrest');

export interface PitrSandbox {
  stack: PracticeStack;
  env: Record<string, string>;
  passphrase: string;
  configFile: string;
  stop(): Promise<void>;
}

/** The practice stack with the `pitr` scenario's repository (the same set-up a new hire practises with). */
export async function startPitrSandbox(): Promise<PitrSandbox> {
  const stack = await startPracticeStack();
  try {
    const pitrEnv = await startPitrRepository(stack);
    const [, passFile] = JSON.parse(pitrEnv.PITR_CIPHER_PASS_COMMAND as string) as string[];
    const passphrase = readFileSync(passFile as string, 'utf8').trim();
    const env = { ...stack.env, ...pitrEnv };
    return { stack, env, passphrase, configFile: pitrEnv.PITR_CONFIG_FILE as string, stop: () => stack.stop() };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

export function cli(sandbox: PitrSandbox, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { ...sandbox.env, ...env }, { timeoutMs: 600_000 });
}

export function sql<T extends Record<string, unknown>>(sandbox: PitrSandbox, text: string): Promise<T[]> {
  return withDatabaseUrl(sandbox.env.DATABASE_URL as string, async (client) => (await client.query<T>(text)).rows);
}

/** Switches to a new WAL segment and waits until the old one is archived, so that the repository holds it. */
export async function archiveCurrentWal(sandbox: PitrSandbox): Promise<void> {
  const [switched] = await sql<{ wal: string }>(sandbox, 'SELECT pg_walfile_name(pg_switch_wal()) AS wal');
  for (let i = 0; i < 300; i++) {
    const [state] = await sql<{ last: string | null }>(
      sandbox,
      'SELECT last_archived_wal AS last FROM pg_stat_archiver',
    );
    if (state?.last && switched && state.last >= switched.wal) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the WAL segment was not archived within 60 s');
}
