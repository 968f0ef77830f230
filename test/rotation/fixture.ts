/**
 * The key-rotation and rollback tests' sandbox: the practice stack (cluster, seeded database, s3rver, vault, and
 * the auth-service "deployment" that APP_STOP/START/DEPLOY_COMMAND really stop, start and redeploy), the real
 * executable run headless with answers files, and readers for what a rotation leaves: the register, the deployment,
 * the encrypted values, the signed record.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { decryptSecret, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { ENCRYPTED_COLUMNS } from '../../src/sandbox/schema/encrypted-columns.js';
import { startPracticeStack, type PracticeStack } from '../../src/sandbox/practice/stack.js';
import type { KeyEraRegister } from '../../src/eras/register.js';
import { recordPathOf, runCli, runIdOf, type CliResult } from '../helpers/cli.js';

export const RECORD_NAMESPACE = 'obexal-runbook-record@v1';

export interface Sandbox {
  stack: PracticeStack;
  env: Record<string, string>;
  appDir: string;
  stop(): Promise<void>;
}

export async function startSandbox(): Promise<Sandbox> {
  const stack = await startPracticeStack();
  return { stack, env: { ...stack.env }, appDir: join(stack.dir, 'app'), stop: () => stack.stop() };
}

export function writeAnswers(sandbox: Sandbox, name: string, values: Record<string, string>): string {
  const file = join(sandbox.stack.dir, name);
  writeFileSync(
    file,
    Object.entries(values)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n'),
    { mode: 0o600 },
  );
  return file;
}

export function cli(
  sandbox: Sandbox,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return runCli(args, { ...sandbox.env, ...env }, { timeoutMs: 600_000 });
}

export { recordPathOf, runIdOf };

export type RunRecord = {
  outcome: string;
  exitCode: number;
  runbook: string;
  steps: { id: string; outcome: string; message?: string; data?: Record<string, unknown> }[];
  details: Record<string, Record<string, unknown> | undefined>;
};

export function readRecord(path: string): RunRecord {
  return JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
}

export function localRegister(sandbox: Sandbox): KeyEraRegister {
  return JSON.parse(readFileSync(join(sandbox.env.BACKUP_DIR as string, 'key-eras.json'), 'utf8')) as KeyEraRegister;
}

export async function bucketRegister(sandbox: Sandbox): Promise<KeyEraRegister> {
  const [{ openS3, closeS3 }, { getJson }, { s3SettingsFromEnv }] = await Promise.all([
    import('../../src/s3/client.js'),
    import('../../src/s3/objects.js'),
    import('../../src/s3/settings.js'),
  ]);
  process.env.AWS_ACCESS_KEY_ID = sandbox.env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = sandbox.env.AWS_SECRET_ACCESS_KEY;
  const context = openS3(s3SettingsFromEnv(sandbox.env));
  try {
    const found = await getJson<KeyEraRegister>(context, 'key-eras.json');
    if (!found) throw new Error('no key-eras.json in the bucket');
    return found.value;
  } finally {
    closeS3(context);
  }
}

export function deployment(sandbox: Sandbox): Record<string, string> {
  return JSON.parse(readFileSync(join(sandbox.appDir, 'deployment.json'), 'utf8')) as Record<string, string>;
}

/** How many encrypted values of the database each key opens when tried alone, and how many none opens. */
export async function valuesUnder(
  sandbox: Sandbox,
  keys: Record<string, string>,
): Promise<Record<string, number> & { total: number; none: number }> {
  const parsed = Object.entries(keys).map(([name, text]) => [name, parseEncryptionKey(text)] as const);
  const counts: Record<string, number> = Object.fromEntries(parsed.map(([name]) => [name, 0]));
  let total = 0;
  let none = 0;
  await withClient(parseConnectionString(sandbox.env.DATABASE_URL as string), async (client) => {
    for (const column of ENCRYPTED_COLUMNS) {
      const rows = (
        await client.query<{ v: string }>(
          `SELECT ${column.column} AS v FROM ${column.table} WHERE ${column.column} IS NOT NULL`,
        )
      ).rows;
      for (const { v } of rows) {
        total += 1;
        const opener = parsed.find(([, key]) => {
          try {
            decryptSecret(v, [key]);
            return true;
          } catch {
            return false;
          }
        });
        if (opener) counts[opener[0]] = (counts[opener[0]] ?? 0) + 1;
        else none += 1;
      }
    }
  });
  return { ...counts, total, none } as Record<string, number> & { total: number; none: number };
}

/** `ssh-keygen -Y verify` with the allowed-signers line `records pubkey` prints: the record verifies outside the tool. */
export async function verifyRecord(
  sandbox: Sandbox,
  recordPath: string,
): Promise<{ status: number | null; output: string }> {
  const pubkey = await cli(sandbox, ['records', 'pubkey']);
  if (pubkey.exitCode !== 0) throw new Error(`records pubkey failed: ${pubkey.stderr}`);
  const allowed = join(sandbox.stack.dir, 'allowed_signers');
  writeFileSync(allowed, pubkey.stdout);
  const principal = pubkey.stdout.split(' ')[0] as string;
  const verdict = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', allowed, '-I', principal, '-n', RECORD_NAMESPACE, '-s', `${recordPath}.sig`],
    { input: readFileSync(recordPath) },
  );
  return { status: verdict.status, output: `${verdict.stdout.toString()}${verdict.stderr.toString()}` };
}

export const ROTATION_ANSWERS = {
  'key-source': 'vault',
  era: 'era-2',
  'env-new-key': 'done',
  'env-withdraw-old': 'done',
};
