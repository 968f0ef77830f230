/**
 * Fixtures for the auth-service tests: a migrated and seeded database in the file's throwaway cluster, the real
 * executable started as a subprocess, and extra TOTP users with known secrets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { join, resolve } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { encryptSecret, generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import type { Cluster } from '../../src/pg/cluster.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { hashObexalPassword } from '../../src/sandbox/seed/password-hashes.js';
import { seed, type SeedSummary } from '../../src/sandbox/seed/seed.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';
import { freshDatabase } from '../helpers/pg.js';
import { withDatabaseUrl as withClient } from '../helpers/pg.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const AUTH_SERVICE_BIN = join(ROOT, 'bin', 'obexal-sandbox-auth-service');

export interface SeededDatabase {
  url: string;
  keyText: string;
  key: Buffer;
  drill: { tenant: string; tenantId: string; email: string; password: string; totpSecret: string; userId: string };
  summary: SeedSummary;
}

export { withClient };

export async function seededDatabase(
  cluster: Cluster,
  prefix: string,
  options: { users?: number; auditEvents?: number; include?: number[] } = {},
): Promise<SeededDatabase> {
  const url = await freshDatabase(cluster, prefix);
  const keyText = generateEncryptionKey();
  const key = parseEncryptionKey(keyText);
  const password = `drill-${Math.random().toString(36).slice(2)}-pass`;
  const totpSecret = generateTotpSecret();
  const summary = await withClient(url, async (client) => {
    await migrate(client);
    const result = await seed(client, {
      encryptionKey: key,
      drill: { password, totpSecret },
      size: { users: options.users ?? 40, auditEvents: options.auditEvents ?? 50 },
    });
    if (options.include) await migrate(client, { include: options.include });
    return result;
  });
  return {
    url,
    keyText,
    key,
    summary,
    drill: {
      tenant: summary.drill.tenantSlug,
      tenantId: summary.drill.tenantId,
      email: summary.drill.email,
      password,
      totpSecret,
      userId: summary.drill.userId,
    },
  };
}

export interface TestUser {
  userId: string;
  email: string;
  password: string;
  totpSecret: string | undefined;
}

/** One more user of the drill tenant, with a real argon2id hash and (unless `totp` is false) a TOTP secret. */
export async function addUser(
  db: SeededDatabase,
  name: string,
  options: { totp?: boolean; status?: string } = {},
): Promise<TestUser> {
  const email = `${name}@drill.obexal.test`;
  const password = `pw-${name}-${Math.random().toString(36).slice(2)}`;
  const totpSecret = options.totp === false ? undefined : generateTotpSecret();
  const hash = await hashObexalPassword(password);
  const userId = await withClient(db.url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO users (tenant_id, email, given_name, family_name, display_name, job_title, department, locale, status)
       VALUES ($1, $2, 'Test', $3, 'Test ' || $3, 'Engineer', 'Platform', 'de', $4) RETURNING id`,
      [db.drill.tenantId, email, name, options.status ?? 'active'],
    );
    const id = rows[0]!.id;
    await client.query('INSERT INTO password_credentials (user_id, hash) VALUES ($1, $2)', [id, hash]);
    if (totpSecret) {
      await client.query('INSERT INTO mfa_totp (user_id, secret_enc, confirmed_at) VALUES ($1, $2, now())', [
        id,
        encryptSecret(totpSecret, db.key),
      ]);
    }
    return id;
  });
  return { userId, email, password, totpSecret };
}

export function totpCode(secret: string, offsetSteps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env };
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a subcommand to completion. `onStdoutLine` may kill the child (it receives it). */
export async function runAuthService(
  args: string[],
  env: Record<string, string | undefined>,
  onStdoutLine?: (line: string, child: ChildProcess) => void,
): Promise<RunResult> {
  const child = spawn(process.execPath, [AUTH_SERVICE_BIN, ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      onStdoutLine?.(line, child);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [exitCode, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { exitCode, signal, stdout, stderr };
}

export interface RunningService {
  baseUrl: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Sends `signal` and waits for the exit; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `serve` through the bin on a free port; rejects with the output when it exits before listening. */
export async function startAuthService(env: Record<string, string | undefined>): Promise<RunningService> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [AUTH_SERVICE_BIN, 'serve'], {
    env: childEnv({ PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit');
  await new Promise<void>((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`auth-service did not start in 60 s:\n${output}`)), 60_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes(`listening on http://127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolveStart();
      }
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`auth-service exited with ${String(code)} before listening:\n${output}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

export function serviceEnv(db: SeededDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: db.url, ENCRYPTION_KEY: db.keyText, ...extra };
}
