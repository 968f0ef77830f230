/**
 * Throwaway PostgreSQL clusters for the practice sandbox, the tests and the benchmarks: `initdb` into a private
 * folder (0700, `obexal-pg-<random>` under the temp folder), a server on 127.0.0.1 and a free port, its unix
 * socket only in the private folder, a superuser `obexal` with a random password and scram-sha-256 on every
 * connection (so that password handling is exercised for real). As root, the server programs run as the
 * `postgres` user. `stop()` ends the server and removes the folder; see cluster-registry.ts for what happens
 * when the process exits first, and cluster-sweep.ts for what a killed run leaves behind.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freeLoopbackPort } from '../core/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { UsageError } from '../core/errors.js';
import { addSecret, redact } from '../core/redact.js';
import { renderSettings, validateSettings } from './cluster-config.js';
import { killPostmaster, MARKER_FILE, ownMarker, runningPostmasterOf } from './cluster-process.js';
import { registerCluster, unregisterCluster } from './cluster-registry.js';
import { CLUSTER_DIR_PREFIX, DATA_DIR_NAME, sweepStaleClusters } from './cluster-sweep.js';
import { ClusterError } from './errors.js';
import { findProgram, programMajor } from './programs.js';
import { runServerProgram, type ServerProgramContext } from './server-program.js';
import { assertCanReach, serverUserFor } from './server-user.js';

export { stopAllClusters } from './cluster-registry.js';
export { sweepStaleClusters } from './cluster-sweep.js';

export const CLUSTER_SUPERUSER = 'obexal';
const SETTINGS_FILE = 'obexal.conf';
const LOG_FILE = 'server.log';
const PORT_ATTEMPTS = 5;

export interface Cluster {
  host: '127.0.0.1';
  port: number;
  socketDir: string;
  dataDir: string;
  /** The private folder holding everything (data, socket, log); removed by `stop()`. */
  rootDir: string;
  superuser: string;
  password: string;
  /** `postgres://obexal:<password>@127.0.0.1:<port>/<database>` (default database `postgres`). */
  url(database?: string): string;
  /** Stops the server (fast shutdown) and removes `rootDir`. Idempotent. */
  stop(): Promise<void>;
  readonly postmasterPid: number;
  readonly major: number;
  /** How long initdb and the server start took, in milliseconds (for reports; never assert them). */
  readonly timings: { initdbMs: number; startMs: number };
}

export interface StartClusterOptions {
  /** The folder under which the private `obexal-pg-<random>` folder is created (default: the temp folder). */
  rootDir?: string;
  /** A fixed port (default: a free one, found by binding port 0, retried on a collision). */
  port?: number;
  /** The superuser's password (default: random). */
  password?: string;
  /** Server settings; fsync, synchronous_commit and full_page_writes default to off. */
  settings?: Record<string, string>;
  /** The cluster's locale (default C.UTF-8 on Linux, C elsewhere). */
  locale?: string;
}

async function logTail(file: string, lines = 12): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).map(redact);
  } catch {
    return [];
  }
}

function withTail(message: string, tail: string[]): string {
  return tail.length > 0 ? `${message}:\n  ${tail.join('\n  ')}` : message;
}

async function ownFile(path: string, ctx: ServerProgramContext): Promise<void> {
  if (ctx.user) await chown(path, ctx.user.uid, ctx.user.gid);
}

async function initCluster(
  initdb: string,
  major: number,
  ctx: ServerProgramContext,
  password: string,
  locale: string,
): Promise<void> {
  const pwfile = join(ctx.rootDir, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await ownFile(pwfile, ctx);
  try {
    const args = [
      '-D',
      join(ctx.rootDir, DATA_DIR_NAME),
      '-U',
      CLUSTER_SUPERUSER,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
    ];
    args.push('--encoding=UTF8', `--locale=${locale}`, '--no-sync');
    if (major >= 14) args.push('--no-instructions');
    const result = await runServerProgram(initdb, args, ctx);
    if (result.exitCode !== 0) {
      throw new ClusterError(
        'initdb-failed',
        withTail(`initdb failed with exit code ${result.exitCode}`, result.stderrTail),
        'read the lines above; a locale error means the locale is not installed (pass another one, or install locales)',
      );
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** Starts the server, retrying on another free port when the one chosen was taken meanwhile. */
async function startServer(
  pgCtl: string,
  ctx: ServerProgramContext,
  options: StartClusterOptions,
  socketDir: string,
): Promise<number> {
  const dataDir = join(ctx.rootDir, DATA_DIR_NAME);
  const logFile = join(ctx.rootDir, LOG_FILE);
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freeLoopbackPort());
    const settingsFile = join(dataDir, SETTINGS_FILE);
    await writeFile(settingsFile, renderSettings(options.settings ?? {}, { port, socketDir }), { mode: 0o600 });
    await ownFile(settingsFile, ctx);
    const result = await runServerProgram(pgCtl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-s'], ctx);
    if (result.exitCode === 0) return port;
    const tail = await logTail(logFile);
    const portTaken = tail.some((line) => /Address already in use|could not create any TCP\/IP sockets/.test(line));
    if (portTaken && options.port === undefined && attempt < PORT_ATTEMPTS) continue;
    if (portTaken) {
      throw new ClusterError(
        'port-in-use',
        withTail(`port ${port} on 127.0.0.1 is already in use`, tail),
        options.port === undefined
          ? 'free ports kept being taken: try again'
          : 'choose another port, or leave the port out to get a free one',
      );
    }
    throw new ClusterError(
      'start-failed',
      withTail(`the PostgreSQL server did not start (pg_ctl exit code ${result.exitCode})`, [
        ...result.stderrTail,
        ...tail,
      ]),
      'read the server log lines above',
    );
  }
}

function checkStartOptions(options: StartClusterOptions): void {
  if (options.settings) validateSettings(options.settings);
  if (options.password !== undefined && (options.password === '' || /[\n\r\0]/.test(options.password))) {
    throw new UsageError(
      'the cluster password must be one non-empty line',
      'pass another password, or none for a random one',
    );
  }
}

function requirePostmaster(dataDir: string): number {
  const postmasterPid = runningPostmasterOf(dataDir);
  if (postmasterPid === undefined)
    throw new ClusterError(
      'start-failed',
      'pg_ctl reported the server started, but no postmaster is running',
      'read server.log in the cluster folder',
    );
  return postmasterPid;
}

/** Starts a throwaway cluster (sweeping the folders of dead runs first). Stop it with `stop()`. */
export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const base = options.rootDir ?? tmpdir();
  checkStartOptions(options);
  await sweepStaleClusters(base);
  const initdb = await findProgram('initdb');
  const major = await programMajor(initdb);
  const pgCtl = await findProgram('pg_ctl', { major });
  const user = await serverUserFor();
  if (user) await assertCanReach(base, user);

  const password = options.password ?? randomBytes(18).toString('base64url');
  addSecret(password);
  const rootDir = await mkdtemp(join(base, CLUSTER_DIR_PREFIX));
  await writeFile(join(rootDir, MARKER_FILE), JSON.stringify(ownMarker()), { mode: 0o600 });
  const ctx: ServerProgramContext = { rootDir, user };
  const dataDir = join(rootDir, DATA_DIR_NAME);
  const socketDir = join(rootDir, 'socket');
  try {
    await mkdir(socketDir, { mode: 0o700 });
    await ownFile(rootDir, ctx);
    await ownFile(socketDir, ctx);

    const initStarted = performance.now();
    await initCluster(initdb, major, ctx, password, options.locale ?? (process.platform === 'linux' ? 'C.UTF-8' : 'C'));
    const initdbMs = performance.now() - initStarted;
    await appendFile(join(dataDir, 'postgresql.conf'), `\ninclude '${SETTINGS_FILE}'\n`);

    const startStarted = performance.now();
    const port = await startServer(pgCtl, ctx, options, socketDir);
    const startMs = performance.now() - startStarted;
    const postmasterPid = requirePostmaster(dataDir);

    let stopping: Promise<void> | undefined;
    const cluster: Cluster = {
      host: '127.0.0.1',
      port,
      socketDir,
      dataDir,
      rootDir,
      superuser: CLUSTER_SUPERUSER,
      password,
      postmasterPid,
      major,
      timings: { initdbMs, startMs },
      url: (database = 'postgres') =>
        `postgres://${CLUSTER_SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/` +
        encodeURIComponent(database),
      stop: () => (stopping ??= stopCluster(pgCtl, ctx, registration)),
    };
    const registration = { rootDir, postmasterPid, stop: cluster.stop };
    registerCluster(registration);
    return cluster;
  } catch (error) {
    const postmaster = runningPostmasterOf(dataDir);
    if (postmaster !== undefined) await killPostmaster(postmaster);
    await rm(rootDir, { recursive: true, force: true });
    throw error;
  }
}

async function stopCluster(
  pgCtl: string,
  ctx: ServerProgramContext,
  registration: { rootDir: string; postmasterPid: number; stop(): Promise<void> },
): Promise<void> {
  const dataDir = join(ctx.rootDir, DATA_DIR_NAME);
  try {
    if (runningPostmasterOf(dataDir) !== undefined) {
      await runServerProgram(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30', '-s'], ctx).catch(
        () => undefined,
      );
    }
    // pg_ctl failed or timed out: end it the hard way before removing its folder.
    const still = runningPostmasterOf(dataDir);
    if (still !== undefined) await killPostmaster(still);
    try {
      await rm(ctx.rootDir, { recursive: true, force: true });
    } catch (error) {
      throw new ClusterError(
        'stop-failed',
        `could not remove the cluster folder ${ctx.rootDir}`,
        'remove it by hand; the server is stopped',
        error,
      );
    }
  } finally {
    unregisterCluster(registration);
  }
}
