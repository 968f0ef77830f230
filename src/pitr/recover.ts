/**
 * Point-in-time recovery into a throwaway cluster (the verified copy): `pgbackrest restore` into a private folder,
 * the server started on loopback with a configuration of ours (the source's may live outside its data folder and
 * name files of that host), recovery paused at the target so that the point reached can be read, then promoted.
 * The folder has the layout of the throwaway clusters (src/pg/cluster.ts), so a killed run's is swept the same way.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { InterruptedError, StepFailedError } from '../core/errors.js';
import { freeLoopbackPort } from '../core/free-port.js';
import { addSecret, redact } from '../core/redact.js';
import { connect } from '../pg/client.js';
import type { Cluster } from '../pg/cluster.js';
import { killPostmaster, MARKER_FILE, ownMarker, runningPostmasterOf } from '../pg/cluster-process.js';
import { registerCluster, unregisterCluster } from '../pg/cluster-registry.js';
import { CLUSTER_DIR_PREFIX, DATA_DIR_NAME, sweepStaleClusters } from '../pg/cluster-sweep.js';
import { findProgram, programMajor } from '../pg/programs.js';
import { runServerProgram, serverProgramEnv, type ServerProgramContext } from '../pg/server-program.js';
import { runProcess } from '../core/exec.js';
import { assertCanReach, serverUserFor } from '../pg/server-user.js';
import { parseConnectionString } from '../pg/target.js';
import { runPgBackRest, type PgBackRestRunner } from './pgbackrest.js';
import { restoreTargetArgs, type RecoveryTarget } from './window.js';

export interface RecoveredCluster extends Cluster {
  /** Commit time of the last transaction replayed: the point actually reached (the RPO). */
  lastReplayedAt: string | null;
  restoreMs: number;
}

const CONTROL_SETTINGS: Readonly<Record<string, string>> = {
  'max_connections setting': 'max_connections',
  'max_worker_processes setting': 'max_worker_processes',
  'max_wal_senders setting': 'max_wal_senders',
  'max_prepared_xacts setting': 'max_prepared_transactions',
  'max_locks_per_xact setting': 'max_locks_per_transaction',
};

/** A hot standby refuses to start with settings below the primary's: take them from pg_control. */
async function controlSettings(ctx: ServerProgramContext, dataDir: string): Promise<Record<string, string>> {
  const program = await findProgram('pg_controldata');
  const result = await runProcess({
    file: program,
    args: [dataDir],
    env: serverProgramEnv(ctx.rootDir),
    cwd: ctx.rootDir,
    captureStdout: true,
    ...(ctx.user ? { uid: ctx.user.uid, gid: ctx.user.gid } : {}),
  });
  const found: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const [label, value] = line.split(/:\s+/, 2);
    const name = label ? CONTROL_SETTINGS[label.trim()] : undefined;
    if (name && value) found[name] = value.trim();
  }
  return found;
}

function serverConfig(port: number, rootDir: string, socketDir: string, control: Record<string, string>): string {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: socketDir,
    hba_file: join(rootDir, 'pg_hba.conf'),
    ident_file: join(rootDir, 'pg_ident.conf'),
    archive_mode: 'off',
    hot_standby: 'on',
    logging_collector: 'off',
    shared_preload_libraries: '',
    ...control,
  };
  const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
  return `# written by obexal-runbook for a point-in-time recovery\n${Object.entries(settings)
    .map(([k, v]) => `${k} = ${quote(v)}`)
    .join('\n')}\n`;
}

async function logTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-8).map(redact).join('\n  ');
}

/** Waits until recovery paused at its target or ended (promoted); reads the last replayed commit's time. */
async function waitForTarget(
  client: pg.Client,
  dataDir: string,
  logFile: string,
  signal: AbortSignal,
): Promise<string | null> {
  for (;;) {
    if (signal.aborted) throw new InterruptedError('SIGINT', 'point-in-time recovery: stopped');
    if (runningPostmasterOf(dataDir) === undefined) {
      throw new StepFailedError(
        `the recovered server stopped before reaching the target:\n  ${await logTail(logFile)}`,
        'a target past the last archived WAL cannot be reached: choose an earlier time (the window ' +
          'is in `pgbackrest info`) or latest',
      );
    }
    const state = await client.query<{ recovering: boolean; paused: boolean; at: Date | null }>(
      `SELECT pg_is_in_recovery() AS recovering, pg_last_xact_replay_timestamp() AS at,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused`,
    );
    const row = state.rows[0];
    if (row && (!row.recovering || row.paused)) {
      if (row.recovering) await client.query('SELECT pg_promote(true, 600)');
      return row.at ? row.at.toISOString() : null;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface RecoverOptions {
  runner: PgBackRestRunner;
  target: RecoveryTarget;
  /** A role of the source that exists in the recovered cluster, to connect through its private socket. */
  sourceUser: string;
  database: string;
  output: (line: string) => void;
}

async function prepareFolder(): Promise<ServerProgramContext & { socketDir: string; dataDir: string }> {
  const base = tmpdir();
  await sweepStaleClusters(base);
  const user = await serverUserFor();
  if (user) await assertCanReach(base, user);
  const rootDir = await mkdtemp(join(base, CLUSTER_DIR_PREFIX));
  await writeFile(join(rootDir, MARKER_FILE), JSON.stringify(ownMarker()), { mode: 0o600 });
  const socketDir = join(rootDir, 'socket');
  await mkdir(socketDir, { mode: 0o700 });
  if (user) for (const dir of [rootDir, socketDir]) await chown(dir, user.uid, user.gid);
  return { rootDir, user, socketDir, dataDir: join(rootDir, DATA_DIR_NAME) };
}

type RecoveryFolder = Awaited<ReturnType<typeof prepareFolder>>;

/** The server's configuration files, written beside the data folder; returns the path of postgresql.conf. */
async function writeServerFiles(folder: RecoveryFolder, port: number): Promise<string> {
  const { rootDir, socketDir, dataDir } = folder;
  const control = await controlSettings(folder, dataDir);
  const configFile = join(rootDir, 'postgresql.conf');
  await writeFile(configFile, serverConfig(port, rootDir, socketDir, control), { mode: 0o600 });
  await writeFile(join(rootDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n', {
    mode: 0o600,
  });
  await writeFile(join(rootDir, 'pg_ident.conf'), '', { mode: 0o600 });
  if (folder.user)
    for (const f of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf'])
      await chown(join(rootDir, f), folder.user.uid, folder.user.gid);
  return configFile;
}

/** Starts the recovered server; returns its postmaster's pid. */
async function startRecoveredServer(
  pgCtl: string,
  folder: RecoveryFolder,
  configFile: string,
  logFile: string,
): Promise<number> {
  const start = await runServerProgram(
    pgCtl,
    ['start', '-D', folder.dataDir, '-l', logFile, '-w', '-t', '3600', '-s', '-o', `-c config_file=${configFile}`],
    folder,
  );
  if (start.exitCode !== 0) {
    throw new StepFailedError(
      `the recovered server did not start:\n  ${await logTail(logFile)}`,
      'read the server log lines above',
    );
  }
  const postmasterPid = runningPostmasterOf(folder.dataDir);
  if (postmasterPid === undefined)
    throw new StepFailedError('pg_ctl said the recovered server started, but none runs', `read ${logFile}`);
  return postmasterPid;
}

/** A superuser with a random name and password, for the checks that connect over TCP. */
async function createLoginRole(client: pg.ClientBase): Promise<{ role: string; password: string }> {
  const role = `obexal_pitr_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  addSecret(password);
  await client.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
  return { role, password };
}

export async function recoverIntoThrowawayCluster(options: RecoverOptions): Promise<RecoveredCluster> {
  const folder = await prepareFolder();
  const { rootDir, socketDir, dataDir } = folder;
  const logFile = join(rootDir, 'server.log');
  const registration = { rootDir, postmasterPid: 0, stop: async () => undefined as void };
  options.output(`restoring into a throwaway cluster in ${rootDir}`);
  try {
    const started = performance.now();
    const args = [`--pg1-path=${dataDir}`, '--archive-mode=off', ...restoreTargetArgs(options.target)];
    await runPgBackRest({ ...options.runner, user: folder.user }, 'restore', args);
    const restoreMs = performance.now() - started;
    const port = await freeLoopbackPort();
    const configFile = await writeServerFiles(folder, port);
    const pgCtl = await findProgram('pg_ctl');
    const major = await programMajor(pgCtl);
    const postmasterPid = await startRecoveredServer(pgCtl, folder, configFile, logFile);
    registration.postmasterPid = postmasterPid;
    let stopping: Promise<void> | undefined;
    registration.stop = () => (stopping ??= stopRecovered(pgCtl, folder, registration));
    registerCluster(registration);
    const socketTarget = parseConnectionString(
      `postgres://${encodeURIComponent(options.sourceUser)}@/postgres` +
        `?host=${encodeURIComponent(socketDir)}&port=${port}`,
    );
    const client = await connect(socketTarget, options.runner.signal);
    try {
      const lastReplayedAt = await waitForTarget(client, dataDir, logFile, options.runner.signal);
      const { role, password } = await createLoginRole(client);
      options.output(
        `recovered to ${lastReplayedAt ?? 'an unknown point'} (last replayed commit); server on 127.0.0.1:${port}`,
      );
      return {
        host: '127.0.0.1',
        port,
        socketDir,
        dataDir,
        rootDir,
        superuser: role,
        password,
        postmasterPid,
        major,
        timings: { initdbMs: 0, startMs: performance.now() - started - restoreMs },
        url: (database = options.database) =>
          `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
        stop: registration.stop,
        lastReplayedAt,
        restoreMs,
      };
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    await stopRecovered(await findProgram('pg_ctl').catch(() => 'pg_ctl'), folder, registration);
    throw error;
  }
}

async function stopRecovered(
  pgCtl: string,
  ctx: ServerProgramContext & { dataDir: string },
  registration: Parameters<typeof unregisterCluster>[0],
) {
  try {
    if (runningPostmasterOf(ctx.dataDir) !== undefined) {
      await runServerProgram(pgCtl, ['stop', '-D', ctx.dataDir, '-m', 'fast', '-w', '-t', '30', '-s'], ctx).catch(
        () => undefined,
      );
    }
    const still = runningPostmasterOf(ctx.dataDir);
    if (still !== undefined) await killPostmaster(still);
    await rm(ctx.rootDir, { recursive: true, force: true });
  } finally {
    unregisterCluster(registration);
  }
}
