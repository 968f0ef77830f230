/**
 * The benchmark's databases, all in the practice stack's one throwaway cluster:
 * - `obexal`: the practice database at the chosen size (the stack seeds it; its env points every runbook at it);
 * - `obexal_tenth`: the same content at a tenth of the rows (users and audit events of `obexal` divided by ten), same
 *   key era, same drill account (memory at two sizes);
 * - `bench_secrets`: users only, enough for about 100,000 TOTP secrets, under a key of its own (reencrypt-secrets).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { addSecret } from '../src/core/redact.js';
import { generateEncryptionKey, parseEncryptionKey } from '../src/keys/secret-value.js';
import { withClient } from '../src/pg/client.js';
import { createDatabase } from '../src/pg/databases.js';
import { parseConnectionString } from '../src/pg/target.js';
import { startPracticeStack, PRACTICE_DATABASE, type PracticeStack } from '../src/sandbox/practice/stack.js';
import { migrate } from '../src/sandbox/schema/migrate.js';
import { tableRowCounts } from '../src/sandbox/seed/row-counts.js';
import { seed } from '../src/sandbox/seed/seed.js';
import type { SeedSize } from '../src/sandbox/seed/size.js';
import { round } from './stats.js';
import type { DatabaseInfo } from './types.js';

export const TENTH_DATABASE = 'obexal_tenth';
export const SECRETS_DATABASE = 'bench_secrets';
export const SMALL_DATABASE = 'obexal_small';
/** Issue 14's small case: most Obexal installations are databases of this size, where fixed costs dominate. */
export const SMALL_MB = 20;
/** The seed gives a TOTP secret to 30% of users: 340,000 users give about 102,000 secrets. */
const SECRETS_USERS = 340_000;

export interface BenchDatabases {
  stack: PracticeStack;
  workDir: string;
  main: DatabaseInfo & { url: string };
  tenth: DatabaseInfo & { url: string };
  /** The 20 MB database, when the main one is larger (else the main one is the small case). */
  small?: DatabaseInfo & { url: string };
  secrets?: { url: string; keyA: string; keyB: string; values: number; seedSeconds: number };
}

async function databaseBytes(url: string, name: string): Promise<{ bytes: number; rowCounts: Record<string, number> }> {
  return withClient(parseConnectionString(url), async (client) => {
    const { rows } = await client.query<{ s: string }>('SELECT pg_database_size($1) AS s', [name]);
    return { bytes: Number(rows[0]?.s ?? 0), rowCounts: await tableRowCounts(client) };
  });
}

async function seedDatabase(stack: PracticeStack, name: string, key: string, size: SeedSize): Promise<number> {
  const url = await createDatabase(stack.cluster, name);
  const started = performance.now();
  await withClient(parseConnectionString(url), async (client) => {
    await migrate(client);
    await seed(client, {
      encryptionKey: parseEncryptionKey(key),
      drill: {
        password: stack.env.DRILL_PASSWORD!,
        totpSecret: stack.env.DRILL_TOTP_SECRET!,
        email: stack.env.DRILL_EMAIL,
      },
      size,
    });
  });
  return round((performance.now() - started) / 1000, 1);
}

async function seedSmall(stack: PracticeStack, say: (line: string) => void): Promise<BenchDatabases['small']> {
  const seconds = await seedDatabase(stack, SMALL_DATABASE, stack.env.ENCRYPTION_KEY!, { targetMb: SMALL_MB });
  const url = stack.cluster.url(SMALL_DATABASE);
  const small = { name: SMALL_DATABASE, targetMb: SMALL_MB, seedSeconds: seconds, url };
  const info = { ...small, ...(await databaseBytes(url, SMALL_DATABASE)) };
  say(`  ${SMALL_DATABASE}: ${round(info.bytes / 1e6, 0)} MB seeded in ${seconds} s`);
  return info;
}

export async function buildDatabases(
  sizeMb: number,
  say: (line: string) => void,
  withSecrets: boolean,
  withSmall = false,
): Promise<BenchDatabases> {
  let seedStarted = 0;
  let seedSeconds = 0;
  say(`seeding the ${sizeMb} MB practice database (users, credentials, TOTP, audit log)…`);
  const stack = await startPracticeStack({
    size: { targetMb: sizeMb },
    onProgress: (message) => {
      if (message.startsWith('creating the Obexal schema')) seedStarted = performance.now();
      else if (seedStarted > 0 && seedSeconds === 0) seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
    },
  });
  try {
    const workDir = join(stack.dir, 'bench');
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    const mainUrl = stack.env.DATABASE_URL!;
    const main = {
      name: PRACTICE_DATABASE,
      targetMb: sizeMb,
      seedSeconds,
      url: mainUrl,
      ...(await databaseBytes(mainUrl, PRACTICE_DATABASE)),
    };
    say(`  ${PRACTICE_DATABASE}: ${round(main.bytes / 1e6, 0)} MB seeded in ${seedSeconds} s`);

    // A tenth of the rows, not `targetMb / 10`: the size knob first takes off the 8 MiB of an empty database, so a
    // tenth of a small size would seed almost nothing.
    const tenthMb = round(sizeMb / 10, 1);
    const tenthSize = {
      users: Math.max(1, Math.round((main.rowCounts.users ?? 10) / 10)),
      auditEvents: Math.round((main.rowCounts.audit_log ?? 0) / 10),
    };
    const tenthSeconds = await seedDatabase(stack, TENTH_DATABASE, stack.env.ENCRYPTION_KEY!, tenthSize);
    const tenthUrl = stack.cluster.url(TENTH_DATABASE);
    const tenth = {
      name: TENTH_DATABASE,
      targetMb: tenthMb,
      seedSeconds: tenthSeconds,
      url: tenthUrl,
      ...(await databaseBytes(tenthUrl, TENTH_DATABASE)),
    };
    say(`  ${TENTH_DATABASE}: ${round(tenth.bytes / 1e6, 0)} MB seeded in ${tenthSeconds} s`);

    let secrets: BenchDatabases['secrets'];
    if (withSecrets) {
      const keyA = generateEncryptionKey();
      const keyB = generateEncryptionKey();
      addSecret(keyA);
      addSecret(keyB);
      const seconds = await seedDatabase(stack, SECRETS_DATABASE, keyA, { users: SECRETS_USERS, auditEvents: 0 });
      const url = stack.cluster.url(SECRETS_DATABASE);
      const { rowCounts } = await databaseBytes(url, SECRETS_DATABASE);
      const values = (rowCounts.mfa_totp ?? 0) + (rowCounts.webhooks ?? 0) + (rowCounts.oidc_signing_keys ?? 0);
      secrets = { url, keyA, keyB, values, seedSeconds: seconds };
      say(`  ${SECRETS_DATABASE}: ${values} encrypted values seeded in ${seconds} s`);
    }
    const small = withSmall && sizeMb > SMALL_MB ? await seedSmall(stack, say) : undefined;
    return { stack, workDir, main, tenth, secrets, ...(small ? { small } : {}) };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** Drops every database whose name starts with `prefix` (restore targets and what a swap left beside them). */
export async function dropDatabasesLike(stack: PracticeStack, prefix: string): Promise<void> {
  const names = await withClient(parseConnectionString(stack.cluster.url('postgres')), async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    return rows.map((r) => r.datname);
  });
  await withClient(parseConnectionString(stack.cluster.url('postgres')), async (client) => {
    for (const name of names)
      await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  });
}
