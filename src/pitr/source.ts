/**
 * Whether pgBackRest can protect the source cluster from this host: it needs the data folder on this host's file
 * system (it reads the files, and PostgreSQL's archive_command runs it there). A managed PostgreSQL (RDS, Cloud
 * SQL, Azure, …) gives no such access: we say so and point at the provider's own PITR, never pretend.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { StepFailedError, UsageError } from '../core/errors.js';
import { isProcessAlive } from '../core/private-dir.js';
import type { PgTarget } from '../pg/target.js';
import type { ServerUser } from '../pg/server-user.js';

export interface SourceCluster {
  label: string;
  database: string;
  systemIdentifier: string;
  serverVersionNum: number;
  dataDir: string;
  socketDir: string;
  port: number;
  walLevel: string;
  archiveMode: string;
  archiveCommand: string;
  /** The operating-system user that owns the data folder (pgBackRest runs as it). */
  osUser: ServerUser;
}

const PROVIDER_ROLES: Readonly<Record<string, string>> = {
  rds_superuser: 'Amazon RDS / Aurora: turn on automated backups with a retention period (point-in-time restore)',
  cloudsqlsuperuser: 'Google Cloud SQL: turn on point-in-time recovery in the instance backups settings',
  azure_pg_admin: 'Azure Database for PostgreSQL: set the backup retention (point-in-time restore is built in)',
  alloydbsuperuser: 'AlloyDB: continuous backup and recovery is on by default; check its retention',
};

export const MANAGED_HINT_GENERIC =
  "use the provider's point-in-time recovery (its console or API); the tool's encrypted dumps keep working beside it";

async function providerOf(client: pg.Client): Promise<string | undefined> {
  const rows = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [
    Object.keys(PROVIDER_ROLES),
  ]);
  const role = rows.rows[0]?.rolname;
  return role ? PROVIDER_ROLES[role] : undefined;
}

function managed(label: string, why: string, provider: string | undefined): StepFailedError {
  return new StepFailedError(
    `${label} cannot be protected by pgBackRest from this host: ${why}`,
    provider ??
      `if this is a managed PostgreSQL, ${MANAGED_HINT_GENERIC}; if it is self-hosted, run the tool ` +
        `on the database host as a superuser`,
  );
}

async function settingsOf(client: pg.Client): Promise<Record<string, string>> {
  const names = [
    'data_directory',
    'unix_socket_directories',
    'port',
    'wal_level',
    'archive_mode',
    'archive_command',
    'server_version_num',
  ];
  const rows = await client.query<{ name: string; setting: string }>(
    'SELECT name, setting FROM pg_settings WHERE name = ANY($1)',
    [names],
  );
  return Object.fromEntries(rows.rows.map((r) => [r.name, r.setting]));
}

async function ownerOf(path: string): Promise<ServerUser> {
  const info = await stat(path);
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = passwd.split('\n').find((l) => l.split(':')[2] === String(info.uid));
  return { name: line?.split(':')[0] ?? String(info.uid), uid: info.uid, gid: info.gid };
}

/** The postmaster of `dataDir` is alive on this host (its postmaster.pid names a live process). */
async function runsHere(dataDir: string): Promise<boolean> {
  const pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(pidFile?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid);
}

/** Inspects the source through `client`; throws a message with the way forward when pgBackRest cannot serve it. */
export async function inspectSource(client: pg.Client, target: PgTarget): Promise<SourceCluster> {
  const superuser = await client.query<{ rolsuper: boolean }>(
    'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
  );
  const provider = await providerOf(client);
  if (!superuser.rows[0]?.rolsuper) {
    throw managed(target.label, `the role ${target.user} is not a superuser (pgBackRest's backups need one)`, provider);
  }
  const s = await settingsOf(client);
  const dataDir = s.data_directory;
  if (!dataDir || !(await stat(dataDir).catch(() => undefined)) || !(await runsHere(dataDir))) {
    throw managed(target.label, `its data folder ${dataDir ?? '(hidden)'} is not on this host`, provider);
  }
  const system = await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
  const osUser = await ownerOf(dataDir);
  const myUid = process.getuid?.() ?? -1;
  if (myUid !== 0 && myUid !== osUser.uid) {
    throw new UsageError(
      `pgBackRest must run as ${osUser.name}, the owner of ${dataDir}, and this tool runs as another user`,
      `run it as that user (\`sudo -u ${osUser.name} obexal-runbook …\`) or as root`,
    );
  }
  return {
    label: target.label,
    database: target.database,
    systemIdentifier: system.rows[0]?.id ?? '',
    serverVersionNum: Number(s.server_version_num),
    dataDir,
    socketDir: (s.unix_socket_directories ?? '/var/run/postgresql').split(',')[0]?.trim() ?? '/var/run/postgresql',
    port: Number(s.port),
    walLevel: s.wal_level ?? 'replica',
    archiveMode: s.archive_mode ?? 'off',
    archiveCommand: s.archive_command ?? '',
    osUser,
  };
}
