/**
 * The drill's throwaway database: `obexal_drill_<run id>` on DRILL_DATABASE_URL's server. Never the backup
 * source: the drill refuses when DRILL_DATABASE_URL resolves to the same server and database as DATABASE_URL,
 * compared by `host:port/database` and, when both answer, by the server's system identifier and the database's
 * name (an alias host name or an IP address of the production server is caught too).
 */
import type { ClientBase } from 'pg';
import { messageOf, StepFailedError, UsageError } from '../core/errors.js';
import { withClient } from '../pg/client.js';
import { assertDatabaseName } from '../pg/databases.js';
import { parseConnectionString, targetUrl, type PgTarget } from '../pg/target.js';
import { parseTableSetting, qualifiedName } from '../pg/ident.js';
import { columnsOf } from '../profile/detect.js';

export const DRILL_DATABASE_PREFIX = 'obexal_drill_';

/** `obexal_drill_20261124t190513z_a729df`: a run id made a valid, lower-case database name. */
export function drillDatabaseName(runId: string): string {
  const name = `${DRILL_DATABASE_PREFIX}${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
  assertDatabaseName(name);
  return name;
}

export function isDrillDatabaseName(name: string): boolean {
  return name.startsWith(DRILL_DATABASE_PREFIX);
}

/** The server as DRILL_DATABASE_URL names it (its database is where we connect to create the drill's). */
export function drillServerTarget(drillDatabaseUrl: string): PgTarget {
  return parseConnectionString(drillDatabaseUrl);
}

/** The same server and credentials, aimed at `database`. */
export function targetFor(server: PgTarget, database: string): PgTarget {
  return { ...server, database, label: server.label.replace(/\/[^/]*$/, `/${database}`) };
}

export function urlOf(target: PgTarget): string {
  return targetUrl(target);
}

export interface ServerIdentity {
  label: string;
  database: string;
  systemIdentifier: string | null;
  serverVersion: string;
}

/** The system identifier needs pg_control_system(), which some roles may not call: null then. */
export async function readServerIdentity(client: ClientBase, label: string): Promise<ServerIdentity> {
  const base = (
    await client.query<{ db: string; version: string }>(
      `SELECT current_database() AS db, current_setting('server_version') AS version`,
    )
  ).rows[0];
  let systemIdentifier: string | null;
  try {
    systemIdentifier =
      (await client.query<{ sysid: string }>('SELECT system_identifier::text AS sysid FROM pg_control_system()'))
        .rows[0]?.sysid ?? null;
  } catch {
    systemIdentifier = null;
  }
  return { label, database: base?.db ?? '', systemIdentifier, serverVersion: base?.version ?? '' };
}

export interface SeparationVerdict {
  /** How the two were compared: by label only, or by the servers' identities too. */
  comparedBy: 'label' | 'label and system identifier';
  drill: ServerIdentity | { label: string };
  production: ServerIdentity | { label: string } | null;
  /** True when the drill server is the production server (another database on it): allowed, with a warning. */
  sameServer: boolean;
  notes: string[];
}

function refuse(why: string): never {
  throw new UsageError(
    `refusing to drill: ${why}; a drill restores into a throwaway database and must never touch the backup source`,
    'set DRILL_DATABASE_URL to a server (and a maintenance database such as postgres) other than ' +
      'the production database',
  );
}

/** The backup source named by DATABASE_URL, when it is set and reads (what is missing goes to the notes). */
function productionTarget(productionUrl: string | undefined, notes: string[]): PgTarget | undefined {
  let production: PgTarget | undefined;
  if (productionUrl) {
    try {
      production = parseConnectionString(productionUrl);
    } catch (error) {
      notes.push(`DATABASE_URL could not be read (${messageOf(error)}): compared with nothing`);
    }
  } else {
    notes.push('DATABASE_URL is not set: the drill server could not be compared with the backup source');
  }
  return production;
}

/** The drill server's identity; a drill server that does not answer fails the check. */
async function readDrillIdentity(drillServer: PgTarget, signal: AbortSignal): Promise<ServerIdentity> {
  try {
    return await withClient(drillServer, (client) => readServerIdentity(client, drillServer.label), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new StepFailedError(
      `cannot connect to the drill server ${drillServer.label}: ${messageOf(error)}`,
      'check DRILL_DATABASE_URL: the drill creates its throwaway database on that server',
      error,
    );
  }
}

/** The backup source's identity; when it does not answer the labels alone decide (said in the notes). */
async function readProductionIdentity(
  production: PgTarget,
  signal: AbortSignal,
  notes: string[],
): Promise<ServerIdentity | undefined> {
  try {
    return await withClient(production, (client) => readServerIdentity(client, production.label), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    notes.push(
      `the backup source ${production.label} did not answer (${messageOf(error)}): compared by ` +
        `host, port and database name only`,
    );
    return undefined;
  }
}

/**
 * Refuses when DRILL_DATABASE_URL names the backup source (DATABASE_URL). Production is contacted only to read
 * its identity; when it does not answer the label comparison alone decides (said in the notes).
 */
export async function checkSeparation(
  drillServer: PgTarget,
  productionUrl: string | undefined,
  signal: AbortSignal,
): Promise<SeparationVerdict> {
  const notes: string[] = [];
  const production = productionTarget(productionUrl, notes);
  if (production && production.label === drillServer.label)
    refuse(`DRILL_DATABASE_URL names ${drillServer.label}, the database of DATABASE_URL`);

  const drillIdentity = await readDrillIdentity(drillServer, signal);
  if (production && isDrillDatabaseName(production.database))
    refuse(`DATABASE_URL names a drill database (${production.label})`);

  const productionIdentity = production ? await readProductionIdentity(production, signal, notes) : undefined;
  const bothIdentified = Boolean(drillIdentity.systemIdentifier && productionIdentity?.systemIdentifier);
  const sameServer = bothIdentified && drillIdentity.systemIdentifier === productionIdentity?.systemIdentifier;
  if (sameServer && drillIdentity.database === productionIdentity?.database) {
    refuse(
      `DRILL_DATABASE_URL (${drillServer.label}) reaches the database of DATABASE_URL ` +
        `(${production?.label}): same server (system identifier ${drillIdentity.systemIdentifier}) and ` +
        `same database "${drillIdentity.database}"`,
    );
  }
  if (productionIdentity && !bothIdentified)
    notes.push(
      'a system identifier could not be read (pg_control_system() not allowed for this role): ' +
        'compared by host, port and database name',
    );
  if (sameServer) {
    notes.push(
      `the drill server is the production server (system ` +
        `identifier ${drillIdentity.systemIdentifier}): the throwaway database is created beside ` +
        `production and competes with it for resources`,
    );
  }
  return {
    comparedBy: bothIdentified ? 'label and system identifier' : 'label',
    drill: drillIdentity,
    production: productionIdentity ?? (production ? { label: production.label } : null),
    sameServer,
    notes,
  };
}

export interface CreatedDrillDatabase {
  name: string;
  label: string;
  encoding: string;
}

/** Creates the throwaway database from template0 (UTF-8, or the dump's encoding when given). */
export async function createDrillDatabase(
  server: PgTarget,
  name: string,
  options: { encoding?: string; signal: AbortSignal },
): Promise<CreatedDrillDatabase> {
  assertDatabaseName(name);
  const encoding = options.encoding && /^[A-Za-z0-9_]+$/.test(options.encoding) ? options.encoding : 'UTF8';
  await withClient(
    server,
    async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount)
        throw new StepFailedError(
          `the database ${name} already exists on ${server.label}`,
          'another drill with this run id left it behind: drop it, then run the drill again',
        );
      await client.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING '${encoding}'`);
    },
    options.signal,
  );
  return { name, label: targetFor(server, name).label, encoding };
}

/** Drops the throwaway database (ending its sessions). Only ever a drill database: guarded by name. */
export async function dropDrillDatabase(server: PgTarget, name: string): Promise<boolean> {
  assertDatabaseName(name);
  if (!isDrillDatabaseName(name)) throw new UsageError(`refusing to drop ${name}: not a drill database`);
  return withClient(server, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) return false;
    const version = Number(
      (await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]?.v ?? 0,
    );
    if (version >= 130000) {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } else {
      await client.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await client.query(`DROP DATABASE IF EXISTS "${name}"`);
    }
    return true;
  });
}

/**
 * The kids of the signing keys a JWKS should list (active and retired, when the table has a status column), read
 * from the restored database; `table` as PROFILE_SIGNING_KEYS_TABLE writes it (`t`, `schema.t`, quoted parts).
 */
export async function readSigningKids(target: PgTarget, table: string, signal: AbortSignal): Promise<string[]> {
  const ref = parseTableSetting(table);
  if (!ref) {
    const hint = 'write the signing keys table as table, schema.table or "quoted"."parts" (PROFILE_SIGNING_KEYS_TABLE)';
    throw new UsageError(`invalid table name ${JSON.stringify(table)}`, hint);
  }
  return withClient(
    target,
    async (client) => {
      const columns = await columnsOf(client, ref);
      const where = columns.has('status') ? ` WHERE status IN ('active', 'retired')` : '';
      const select = `SELECT kid::text AS kid FROM ${qualifiedName(ref)}${where} ORDER BY kid`;
      const { rows } = await client.query<{ kid: string }>(select);
      return rows.map((row) => row.kid);
    },
    signal,
  );
}
