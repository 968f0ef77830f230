/**
 * The practice sandbox (DESIGN §5): a throwaway cluster with an Obexal-compatible database, a local bucket,
 * the sandbox auth-service, and a vault folder, all on loopback inside one private folder. `env` is the
 * environment of DESIGN §3 that points every runbook at it. Tests and benchmarks use the same stack.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSecret } from '../../core/redact.js';
import type { RunningService } from '../../core/service-process.js';
import { isProcessAlive } from '../../core/private-dir.js';
import { connect } from '../../pg/client.js';
import { startCluster, type Cluster } from '../../pg/cluster.js';
import { createDatabase } from '../../pg/databases.js';
import { parseConnectionString } from '../../pg/target.js';
import { generateEncryptionKey, parseEncryptionKey } from '../../keys/secret-value.js';
import { migrate } from '../schema/migrate.js';
import { seed } from '../seed/seed.js';
import type { SeedSize } from '../seed/size.js';
import { generateTotpSecret } from '../seed/totp-secret.js';
import { startLocalBucket, type LocalBucket } from '../local-bucket.js';
import { PACKAGE_ROOT } from '../../core/package-root.js';
import { createVault, type PracticeVault } from './vault.js';
import { createDeployment, startApp, stopApp } from './app.js';
import { writePracticeRegister } from './register.js';
import { MIGRATIONS } from '../schema/migrations.js';

export const PRACTICE_ERA = 'era-1';
export const PRACTICE_DATABASE = 'obexal';

export interface PracticeStack {
  dir: string;
  env: Record<string, string>;
  cluster: Cluster;
  bucket: LocalBucket;
  vault: PracticeVault;
  authService: RunningService;
  authServiceUrl: string;
  summary(): string[];
  /**
   * Registers what a scenario started beside the stack, so that `stop` stops it too: after the cluster and the
   * services (the cluster's shutdown may still push WAL to a scenario's repository), before the folder is removed.
   */
  addStop(stopIt: () => Promise<void>): void;
  stop(): Promise<void>;
}

export interface PracticeOptions {
  size?: SeedSize;
  parentDir?: string;
  onProgress?: (message: string) => void;
}

/**
 * A Unix socket's path holds about 107 bytes: under a long TMPDIR the cluster's socket
 * (`<base>/obexal-pg-XXXXXX/socket/.s.PGSQL.<port>.lock`) would not fit and PostgreSQL would refuse to start. The
 * cluster then gets its short private folder under /tmp instead (still 0700, still removed on stop).
 */
const SOCKET_PATH_ROOM = 100;

export function clusterBaseFor(tmp: string = tmpdir()): string {
  const longest = join(tmp, 'obexal-pg-XXXXXX', 'socket', '.s.PGSQL.65535.lock');
  return longest.length <= SOCKET_PATH_ROOM ? tmp : '/tmp';
}

const AUTH_SERVICE_BIN = join(PACKAGE_ROOT, 'bin', 'obexal-sandbox-auth-service');
const RUNBOOK_BIN = join(PACKAGE_ROOT, 'bin', 'obexal-runbook');

/** The drill's account, created by the seed: the drill logs in with it. */
interface DrillAccount {
  email: string;
  tenant: string;
  password: string;
  totp: string;
}

/** Creates the Obexal schema and seeds it; returns the drill's account. */
async function seedDatabase(databaseUrl: string, encryptionKey: string, size?: SeedSize): Promise<DrillAccount> {
  const password = `drill-${randomBytes(9).toString('base64url')}`;
  const totp = generateTotpSecret();
  addSecret(password);
  addSecret(totp);
  const client = await connect(parseConnectionString(databaseUrl));
  try {
    await migrate(client);
    const seeded = await seed(client, {
      encryptionKey: parseEncryptionKey(encryptionKey),
      drill: { password, totpSecret: totp },
      size,
    });
    return { email: seeded.drill.email, tenant: seeded.drill.tenantSlug, password, totp };
  } finally {
    await client.end();
  }
}

/**
 * A "deployment" that APP_STOP_COMMAND / APP_START_COMMAND / APP_DEPLOY_COMMAND really stop, start and redeploy;
 * `stops` gets what stops it.
 */
async function startAuthService(
  appDir: string,
  databaseUrl: string,
  encryptionKey: string,
  stops: (() => Promise<void>)[],
): Promise<{ service: RunningService; url: string }> {
  await createDeployment(appDir, {
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: encryptionKey,
    ENCRYPTION_KEY_OLD: '',
    HOST: '127.0.0.1',
    PORT: '0',
    IMAGE: 'obexal/auth-service:practice',
  });
  stops.push(async () => void (await stopApp(appDir)));
  const started = await startApp(appDir);
  const service: RunningService = {
    pid: started.pid,
    get exited() {
      return !isProcessAlive(started.pid);
    },
    stop: async () => void (await stopApp(appDir)),
  };
  return { service, url: started.url };
}

interface EnvParts {
  dir: string;
  cluster: Cluster;
  bucket: LocalBucket;
  vault: PracticeVault;
  encryptionKey: string;
  authServiceUrl: string;
  backupDir: string;
  compatibilityFile: string;
  drill: DrillAccount;
}

/** The environment of DESIGN §3 that points every runbook at the sandbox. */
function practiceEnv(parts: EnvParts): Record<string, string> {
  const { dir, cluster, bucket, vault, drill } = parts;
  const node = process.execPath;
  const appDir = join(dir, 'app');
  return {
    OBEXAL_RUNBOOK_CONFIG_DIR: join(dir, 'config'),
    DATABASE_URL: cluster.url(PRACTICE_DATABASE),
    BACKUP_DIR: parts.backupDir,
    RETENTION_DAYS: '14',
    BACKUP_RECIPIENTS_FILE: vault.recipientsFile,
    BACKUP_IDENTITY_FILE: vault.identityFile,
    ENCRYPTION_KEY: parts.encryptionKey,
    ENCRYPTION_KEY_COMMAND: JSON.stringify(['cat', vault.keyFile('{era}')]),
    ...bucket.env,
    S3_PREFIX: 'obexal/',
    ALLOWED_DATA_REGIONS: 'eu',
    AUTH_SERVICE_URL: parts.authServiceUrl,
    AUTH_SERVICE_EXEC: JSON.stringify([node, AUTH_SERVICE_BIN, '{subcommand}', '{args}']),
    APP_STOP_COMMAND: JSON.stringify([node, RUNBOOK_BIN, 'practice', 'app', 'stop', appDir]),
    APP_START_COMMAND: JSON.stringify([node, RUNBOOK_BIN, 'practice', 'app', 'start', appDir]),
    APP_DEPLOY_COMMAND: JSON.stringify([node, RUNBOOK_BIN, 'practice', 'app', 'deploy', appDir, '{image}']),
    MIGRATION_COMPATIBILITY_FILE: parts.compatibilityFile,
    DRILL_AUTH_SERVICE_START: JSON.stringify(['env', 'PORT={port}', node, AUTH_SERVICE_BIN, 'serve']),
    DRILL_DATABASE_URL: cluster.url('postgres'),
    DRILL_TENANT: drill.tenant,
    DRILL_EMAIL: drill.email,
    DRILL_PASSWORD: drill.password,
    DRILL_TOTP_SECRET: drill.totp,
  };
}

function summaryLines(parts: EnvParts): string[] {
  const { dir, cluster, bucket, vault } = parts;
  return [
    `PostgreSQL ${cluster.major}  127.0.0.1:${cluster.port}/${PRACTICE_DATABASE}`,
    `bucket      ${bucket.endpoint}/${bucket.bucket} (s3rver, region eu-central-1)`,
    `auth-service ${parts.authServiceUrl} (APP_STOP/START/DEPLOY_COMMAND: practice app ` +
      `stop|start|deploy ${join(dir, 'app')})`,
    `vault       ${vault.dir} (backup identity, era keys)`,
    `backups     ${parts.backupDir}`,
    `everything  ${dir} (removed when the sandbox stops)`,
  ];
}

async function writeCompatibilityFile(file: string): Promise<void> {
  const table = Object.fromEntries(MIGRATIONS.map((m) => [m.version, m.compatibility]));
  await writeFile(file, `${JSON.stringify(table, null, 2)}\n`, { mode: 0o600 });
}

/** Starts every part of the sandbox in `dir`, pushing onto `stops` what stops each. */
async function startParts(dir: string, options: PracticeOptions, stops: (() => Promise<void>)[]) {
  const say = options.onProgress ?? (() => undefined);
  say('starting PostgreSQL (initdb, a free loopback port)');
  // Not inside `dir`: the cluster's own private folder must be enterable by the postgres user.
  const cluster = await startCluster({ rootDir: clusterBaseFor() });
  stops.push(() => cluster.stop());
  await createDatabase(cluster, PRACTICE_DATABASE);
  const databaseUrl = cluster.url(PRACTICE_DATABASE);

  const vault = await createVault(join(dir, 'vault'));
  const encryptionKey = generateEncryptionKey();
  addSecret(encryptionKey);
  await vault.writeKey(PRACTICE_ERA, encryptionKey);

  say('creating the Obexal schema and seeding tenants, users, keys and the audit log');
  const drill = await seedDatabase(databaseUrl, encryptionKey, options.size);

  say('starting the local bucket (s3rver)');
  const bucket = await startLocalBucket({ parentDir: dir });
  stops.push(() => bucket.stop());

  say('starting the sandbox auth-service');
  const auth = await startAuthService(join(dir, 'app'), databaseUrl, encryptionKey, stops);
  const compatibilityFile = join(dir, 'migration-compatibility.json');
  await writeCompatibilityFile(compatibilityFile);

  const backupDir = join(dir, 'backups');
  await mkdir(backupDir, { recursive: true, mode: 0o700 });
  await writePracticeRegister({ era: PRACTICE_ERA, encryptionKey, backupDir, bucket, prefix: 'obexal/' });
  const parts = { dir, cluster, bucket, vault, encryptionKey, authServiceUrl: auth.url, backupDir, compatibilityFile };
  return { ...parts, drill, authService: auth.service };
}

export async function startPracticeStack(options: PracticeOptions = {}): Promise<PracticeStack> {
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'obexal-practice-'));
  await writeFile(join(dir, '.owner'), JSON.stringify({ pid: process.pid, host: hostname() }), { mode: 0o600 });
  const stops: (() => Promise<void>)[] = [async () => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    while (stops.length > 0) await stops.pop()!().catch(() => undefined);
  };
  try {
    const parts = await startParts(dir, options, stops);
    const { cluster, bucket, vault, authService, authServiceUrl } = parts;
    return {
      dir,
      env: practiceEnv(parts),
      cluster,
      bucket,
      vault,
      authService,
      authServiceUrl,
      summary: () => summaryLines(parts),
      addStop: (stopIt) => void stops.splice(1, 0, stopIt),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
