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
import { generateTotpSecret, seed, type SeedSize } from '../seed/index.js';
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

export async function startPracticeStack(options: PracticeOptions = {}): Promise<PracticeStack> {
  const say = options.onProgress ?? (() => undefined);
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'obexal-practice-'));
  await writeFile(join(dir, '.owner'), JSON.stringify({ pid: process.pid, host: hostname() }), { mode: 0o600 });
  const stops: (() => Promise<void>)[] = [async () => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    while (stops.length > 0) await stops.pop()!().catch(() => undefined);
  };
  try {
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
    const drillPassword = `drill-${randomBytes(9).toString('base64url')}`;
    const drillTotp = generateTotpSecret();
    addSecret(drillPassword);
    addSecret(drillTotp);

    say('creating the Obexal schema and seeding tenants, users, keys and the audit log');
    const client = await connect(parseConnectionString(databaseUrl));
    let drillEmail: string;
    let drillTenant: string;
    try {
      await migrate(client);
      const seeded = await seed(client, {
        encryptionKey: parseEncryptionKey(encryptionKey),
        drill: { password: drillPassword, totpSecret: drillTotp },
        size: options.size,
      });
      drillEmail = seeded.drill.email;
      drillTenant = seeded.drill.tenantSlug;
    } finally {
      await client.end();
    }

    say('starting the local bucket (s3rver)');
    const bucket = await startLocalBucket({ parentDir: dir });
    stops.push(() => bucket.stop());

    say('starting the sandbox auth-service');
    // A "deployment" that APP_STOP_COMMAND / APP_START_COMMAND / APP_DEPLOY_COMMAND really stop, start and redeploy.
    const appDir = join(dir, 'app');
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
    const authService: RunningService = {
      pid: started.pid,
      get exited() {
        return !isProcessAlive(started.pid);
      },
      stop: async () => void (await stopApp(appDir)),
    };
    const authServiceUrl = started.url;
    const compatibilityFile = join(dir, 'migration-compatibility.json');
    await writeFile(
      compatibilityFile,
      `${JSON.stringify(Object.fromEntries(MIGRATIONS.map((m) => [m.version, m.compatibility])), null, 2)}\n`,
      { mode: 0o600 },
    );

    const backupDir = join(dir, 'backups');
    await mkdir(backupDir, { recursive: true, mode: 0o700 });
    await writePracticeRegister({ era: PRACTICE_ERA, encryptionKey, backupDir, bucket, prefix: 'obexal/' });
    const node = process.execPath;
    const env: Record<string, string> = {
      OBEXAL_RUNBOOK_CONFIG_DIR: join(dir, 'config'),
      DATABASE_URL: databaseUrl,
      BACKUP_DIR: backupDir,
      RETENTION_DAYS: '14',
      BACKUP_RECIPIENTS_FILE: vault.recipientsFile,
      BACKUP_IDENTITY_FILE: vault.identityFile,
      ENCRYPTION_KEY: encryptionKey,
      ENCRYPTION_KEY_COMMAND: JSON.stringify(['cat', vault.keyFile('{era}')]),
      ...bucket.env,
      S3_PREFIX: 'obexal/',
      ALLOWED_DATA_REGIONS: 'eu',
      AUTH_SERVICE_URL: authServiceUrl,
      AUTH_SERVICE_EXEC: JSON.stringify([node, AUTH_SERVICE_BIN, '{subcommand}', '{args}']),
      APP_STOP_COMMAND: JSON.stringify([node, RUNBOOK_BIN, 'practice', 'app', 'stop', appDir]),
      APP_START_COMMAND: JSON.stringify([node, RUNBOOK_BIN, 'practice', 'app', 'start', appDir]),
      APP_DEPLOY_COMMAND: JSON.stringify([node, RUNBOOK_BIN, 'practice', 'app', 'deploy', appDir, '{image}']),
      MIGRATION_COMPATIBILITY_FILE: compatibilityFile,
      DRILL_AUTH_SERVICE_START: JSON.stringify(['env', 'PORT={port}', node, AUTH_SERVICE_BIN, 'serve']),
      DRILL_DATABASE_URL: cluster.url('postgres'),
      DRILL_TENANT: drillTenant,
      DRILL_EMAIL: drillEmail,
      DRILL_PASSWORD: drillPassword,
      DRILL_TOTP_SECRET: drillTotp,
    };
    return {
      dir,
      env,
      cluster,
      bucket,
      vault,
      authService,
      authServiceUrl,
      summary: () => [
        `PostgreSQL ${cluster.major}  127.0.0.1:${cluster.port}/${PRACTICE_DATABASE}`,
        `bucket      ${bucket.endpoint}/${bucket.bucket} (s3rver, region eu-central-1)`,
        `auth-service ${authServiceUrl} (APP_STOP/START/DEPLOY_COMMAND: practice app ` +
          `stop|start|deploy ${join(dir, 'app')})`,
        `vault       ${vault.dir} (backup identity, era keys)`,
        `backups     ${backupDir}`,
        `everything  ${dir} (removed when the sandbox stops)`,
      ],
      addStop: (stopIt) => void stops.splice(1, 0, stopIt),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
