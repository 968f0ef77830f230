/**
 * The practice sandbox's "deployment" of the auth-service, so that APP_STOP_COMMAND, APP_START_COMMAND and
 * APP_DEPLOY_COMMAND really stop, start and redeploy it (`obexal-runbook practice app stop|start|deploy <dir>`).
 *
 * `<dir>/deployment.json` (0600) is the deployment's environment, as `.env.prod` is for a real Obexal: the
 * database, ENCRYPTION_KEY, ENCRYPTION_KEY_OLD, the address and the image. The service runs detached in its own
 * session (it outlives the command that started it), its pid in `<dir>/app.pid`, its output in `<dir>/app.log`.
 *
 * `start` takes ENCRYPTION_KEY / ENCRYPTION_KEY_OLD from its own environment when they are there (as a compose
 * file interpolates them from the shell) and, once the service runs with them, keeps them in the deployment: in
 * the sandbox this stands for the operator's edit of `.env.prod` during a key rotation. `deploy <image>` records the
 * image and restarts;
 * `deploys.log` lists every image deployed (what a test checks). `migrate <version>` applies one of the practice
 * scenarios' migrations to the deployment's database, as a new version's migration run would (5: compatible,
 * 6: breaking), so that the rollback runbook can be practised.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { StepFailedError, UsageError } from '../../core/errors.js';
import { isProcessAlive } from '../../core/private-dir.js';
import { addConnectionStringSecret, addSecret, redact } from '../../core/redact.js';
import { PACKAGE_ROOT } from '../../core/package-root.js';

const AUTH_SERVICE_BIN = join(PACKAGE_ROOT, 'bin', 'obexal-sandbox-auth-service');
const READY = /listening on (http:\/\/\S+)/;
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface Deployment {
  DATABASE_URL: string;
  ENCRYPTION_KEY: string;
  ENCRYPTION_KEY_OLD: string;
  HOST: string;
  /** 0 until the first start has chosen a free port; then fixed, so that AUTH_SERVICE_URL stays valid. */
  PORT: string;
  IMAGE: string;
}

export interface AppStatus {
  pid: number;
  url: string;
}

const files = (dir: string) => ({
  deployment: join(dir, 'deployment.json'),
  pid: join(dir, 'app.pid'),
  log: join(dir, 'app.log'),
  deploys: join(dir, 'deploys.log'),
});

export async function createDeployment(dir: string, deployment: Deployment): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeDeployment(dir, deployment);
}

async function writeDeployment(dir: string, deployment: Deployment): Promise<void> {
  await writeFile(files(dir).deployment, `${JSON.stringify(deployment, null, 2)}\n`, { mode: 0o600 });
}

export async function readDeployment(dir: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(files(dir).deployment, 'utf8');
  } catch {
    throw new UsageError(
      `${dir} is not a practice deployment (no deployment.json)`,
      'use the APP_*_COMMAND settings that `practice up` wrote',
    );
  }
  const deployment = JSON.parse(text) as Deployment;
  addSecret(deployment.ENCRYPTION_KEY);
  for (const key of deployment.ENCRYPTION_KEY_OLD.split(',')) if (key.trim()) addSecret(key.trim());
  addConnectionStringSecret(deployment.DATABASE_URL);
  return deployment;
}

async function runningPid(dir: string): Promise<number | undefined> {
  const text = await readFile(files(dir).pid, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Stops the service (SIGTERM, then SIGKILL after a grace period). True when one was running. */
export async function stopApp(dir: string): Promise<boolean> {
  const pid = await runningPid(dir);
  if (pid === undefined) {
    await rm(files(dir).pid, { force: true });
    return false;
  }
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (isProcessAlive(pid) && Date.now() < deadline) await delay(100);
  if (isProcessAlive(pid)) killGroup(pid, 'SIGKILL');
  while (isProcessAlive(pid)) await delay(50);
  await rm(files(dir).pid, { force: true });
  return true;
}

async function logTail(dir: string, from: number): Promise<{ text: string; lines: string[] }> {
  const text = (await readFile(files(dir).log, 'utf8').catch(() => '')).slice(from);
  return { text, lines: text.split('\n').filter((l) => l.trim() !== '') };
}

/**
 * Starts the service with the deployment's environment (after stopping a running one: a start with a changed
 * environment recreates it, as `docker compose up -d` does). Keys in `overrides` replace the deployment's and
 * are kept. Resolves once it listens; throws with its last lines when it refuses to start.
 */
export async function startApp(
  dir: string,
  overrides: Partial<Pick<Deployment, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEY_OLD' | 'IMAGE'>> = {},
): Promise<AppStatus> {
  // The keys given are kept in the deployment once the service runs with them (a refused start changes nothing).
  const deployment = { ...(await readDeployment(dir)), ...overrides };
  await stopApp(dir);
  const log = files(dir).log;
  const before = (await readFile(log, 'utf8').catch(() => '')).length;
  await appendFile(log, `--- start ${new Date().toISOString()} image ${deployment.IMAGE}\n`, { mode: 0o600 });
  const offset = before;
  const pid = spawnService(log, deployment);
  await writeFile(files(dir).pid, `${pid}\n`, { mode: 0o600 });
  return waitUntilListening(dir, pid, offset, deployment);
}

/** Spawns the service detached, its output appended to `log`; returns its pid. */
function spawnService(log: string, deployment: Deployment): number {
  const fd = openSync(log, 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, [AUTH_SERVICE_BIN, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        DATABASE_URL: deployment.DATABASE_URL,
        ENCRYPTION_KEY: deployment.ENCRYPTION_KEY,
        ENCRYPTION_KEY_OLD: deployment.ENCRYPTION_KEY_OLD,
        HOST: deployment.HOST,
        PORT: deployment.PORT,
        OBEXAL_IMAGE: deployment.IMAGE,
      },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  child.unref();
  if (child.pid === undefined)
    throw new StepFailedError('the practice auth-service could not be started', 'check that node runs');
  return child.pid;
}

/** Resolves once the service's log says where it listens; throws with its last lines when it ends or hangs. */
async function waitUntilListening(dir: string, pid: number, offset: number, deployment: Deployment) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const tail = await logTail(dir, offset);
    const ready = READY.exec(tail.text);
    if (ready) {
      const url = ready[1] as string;
      const port = new URL(url).port;
      await writeDeployment(dir, { ...deployment, PORT: port || deployment.PORT });
      return { pid, url };
    }
    if (!isProcessAlive(pid)) {
      await rm(files(dir).pid, { force: true });
      throw new StepFailedError(
        `the practice auth-service refused to start (image ${deployment.IMAGE}):\n ` +
          ` ${tail.lines.slice(-6).map(redact).join('\n  ')}`,
        'its reason is above; the whole output is in app.log beside deployment.json',
      );
    }
    if (Date.now() > deadline) {
      await stopApp(dir);
      throw new StepFailedError(
        `the practice auth-service did not listen within ${START_TIMEOUT_MS / 1000} s`,
        'see app.log beside deployment.json',
      );
    }
    await delay(100);
  }
}

/** Records `image` in the deployment and (re)starts the service with it. */
export async function deployApp(dir: string, image: string): Promise<AppStatus> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/.test(image))
    throw new UsageError(`"${image}" is not an image reference`, 'e.g. ghcr.io/obexal/auth-service:1.41.2');
  await appendFile(files(dir).deploys, `${new Date().toISOString()} ${image}\n`, { mode: 0o600 });
  return startApp(dir, { IMAGE: image });
}

export async function deployedImages(dir: string): Promise<string[]> {
  const text = await readFile(files(dir).deploys, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[1] as string);
}

/** Applies one practice-scenario migration (and the base ones) to the deployment's database; returns those applied. */
export async function migrateApp(dir: string, versionText: string): Promise<number[]> {
  const version = Number(versionText);
  const [{ connect }, { parseConnectionString }, { migrate }, { findMigration }] = await Promise.all([
    import('../../pg/client.js'),
    import('../../pg/target.js'),
    import('../schema/migrate.js'),
    import('../schema/migrations.js'),
  ]);
  const migration = Number.isSafeInteger(version) ? findMigration(version) : undefined;
  if (!migration)
    throw new UsageError(
      `"${versionText}" is not a migration of the practice schema`,
      'practice app migrate <dir> 5 (compatible: adds users.phone_number) or 6 (breaking: renames users.display_name)',
    );
  const client = await connect(parseConnectionString((await readDeployment(dir)).DATABASE_URL));
  try {
    return await migrate(client, { include: [version] });
  } finally {
    await client.end();
  }
}

/** What `practice app <verb> <dir> [image | version]` does; returns the line to print. */
export async function practiceAppCommand(
  verb: string | undefined,
  dir: string | undefined,
  image: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (!dir)
    throw new UsageError(
      'practice app needs the deployment folder',
      'practice app stop|start|status <dir>, practice app deploy <dir> <image>, practice app migrate <dir> <version>',
    );
  switch (verb) {
    case 'stop':
      return (await stopApp(dir)) ? 'practice auth-service stopped' : 'practice auth-service was not running';
    case 'start': {
      const overrides: Partial<Deployment> = {};
      if (env.ENCRYPTION_KEY !== undefined && env.ENCRYPTION_KEY !== '') overrides.ENCRYPTION_KEY = env.ENCRYPTION_KEY;
      if (env.ENCRYPTION_KEY_OLD !== undefined) overrides.ENCRYPTION_KEY_OLD = env.ENCRYPTION_KEY_OLD;
      const status = await startApp(dir, overrides);
      const keys = overrides.ENCRYPTION_KEY
        ? ` with the ENCRYPTION_KEY${overrides.ENCRYPTION_KEY_OLD ? ' and ENCRYPTION_KEY_OLD' : ''} ` +
          `it was given (kept in the deployment)`
        : '';
      return `practice auth-service started (pid ${status.pid}) at ${status.url}${keys}`;
    }
    case 'deploy': {
      if (!image) throw new UsageError('practice app deploy needs an image', 'practice app deploy <dir> <image>');
      const status = await deployApp(dir, image);
      return `practice auth-service deployed as ${image} (pid ${status.pid}) at ${status.url}`;
    }
    case 'migrate': {
      if (!image)
        throw new UsageError('practice app migrate needs a migration version', 'practice app migrate <dir> 5|6');
      const applied = await migrateApp(dir, image);
      return applied.length > 0
        ? `applied migration(s) ${applied.join(', ')} to the practice database`
        : `migration ${image} was already applied`;
    }
    case 'status': {
      const pid = await runningPid(dir);
      const deployment = await readDeployment(dir);
      return pid
        ? `running (pid ${pid}), image ${deployment.IMAGE}, port ${deployment.PORT}`
        : `stopped, image ${deployment.IMAGE}`;
    }
    default:
      throw new UsageError(
        `unknown practice app command "${verb ?? ''}"`,
        'practice app stop|start|status <dir>, practice app deploy <dir> <image>, practice app migrate <dir> <version>',
      );
  }
}
