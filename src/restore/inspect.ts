/**
 * restore.inspect: what the target is before anything changes, shown and handed to the confirmation (token
 * `host:port/database`, details: what is replaced, the sessions that will be ended, the data written since the
 * dump, the accounts deleted since the dump that a restore brings back) and to restore.apply (the mode).
 * Read-only: it runs under --dry-run and again when a run is resumed.
 */
import type pg from 'pg';
import { StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { parseConnectionString, type PgTarget } from '../pg/target.js';
import { formatBytes, formatSpan } from '../core/format.js';
import { formatTime } from './format.js';
import { qualifiedName, quoteIdent, tableKey, tableLabel, type TableRef } from '../pg/ident.js';
import { resolveProfile, type SchemaProfile } from '../profile/config.js';
import { detectAudit, detectPlain } from '../profile/detect.js';
import { countRows, existingTables } from './checks.js';
import { connectMaintenance, connectTargetOrServer, systemIdentifier } from './server.js';
import type { Inspection, RestoreMode, SessionInfo, VerifiedDump } from './types.js';

export interface InspectParams {
  target: string;
  dump?: VerifiedDump | undefined;
  mode: 'auto' | RestoreMode;
  tables?: string[] | undefined;
  auditTable?: string | undefined;
  deletionAction?: string | undefined;
}

interface RoleRights {
  superuser: boolean;
  createdb: boolean;
  ownsTarget: boolean;
}

async function roleRights(client: pg.ClientBase, database: string): Promise<RoleRights & { owner: string | null }> {
  const row = (
    await client.query<{ superuser: boolean; createdb: boolean; owner: string | null; owns: boolean | null }>(
      `SELECT r.rolsuper AS superuser, r.rolcreatedb AS createdb, pg_get_userbyid(d.datdba) AS owner,
              pg_has_role(current_user, d.datdba, 'MEMBER') AS owns
         FROM pg_roles r LEFT JOIN pg_database d ON d.datname = $1
        WHERE r.rolname = current_user`,
      [database],
    )
  ).rows[0];
  return {
    superuser: row?.superuser ?? false,
    createdb: row?.createdb ?? false,
    owner: row?.owner ?? null,
    ownsTarget: row?.owns ?? false,
  };
}

export function decideMode(
  wanted: 'auto' | RestoreMode,
  rights: RoleRights,
  exists: boolean,
  label: string,
): { mode: RestoreMode; reason: string } {
  const canCreate = rights.superuser || rights.createdb;
  const canSwap = rights.superuser || (rights.createdb && (!exists || rights.ownsTarget));
  if (!exists) {
    if (!canCreate)
      throw new StepFailedError(
        `the database of ${label} does not exist and this role may not create databases`,
        "connect as a role with CREATEDB (or the server's superuser), or create the empty database first",
      );
    if (wanted === 'in-place')
      throw new UsageError(
        `the database of ${label} does not exist: there is nothing to restore in place`,
        'use the default mode (swap)',
      );
    return {
      mode: 'swap',
      reason: 'the database does not exist: it is created from the dump under a temporary name, then named',
    };
  }
  if (wanted === 'swap' && !canSwap)
    throw new StepFailedError(
      `swap mode needs a role that may create databases and rename ${label} (CREATEDB and owner, or superuser)`,
      'use mode in-place, or connect as the database owner with CREATEDB',
    );
  if (wanted === 'in-place')
    return {
      mode: 'in-place',
      reason: 'asked for: a pre-restore safety dump first, then one pg_restore in one transaction',
    };
  if (canSwap)
    return {
      mode: 'swap',
      reason: rights.superuser ? 'the role is a superuser' : 'the role owns the database and has CREATEDB',
    };
  return {
    mode: 'in-place',
    reason:
      'the role may not create or rename databases: a pre-restore safety dump first, then one ' +
      'pg_restore in one transaction',
  };
}

interface Content {
  rowCounts: Record<string, number>;
  newestAuditEvent: Inspection['newestAuditEvent'];
  deletedAccounts: Inspection['deletedAccounts'];
  tables: string[];
  notChecked: string[];
}

/** The profile's tables that exist, counted (one query to find them, one to count them). */
async function countProfileTables(client: pg.ClientBase, tables: readonly TableRef[]): Promise<Record<string, number>> {
  const found = await existingTables(client, tables);
  const present = tables.filter((t) => found.has(tableLabel(t)));
  const counts = await countRows(client, present);
  const rowCounts: Record<string, number> = {};
  for (const [i, table] of present.entries()) {
    const counted = counts[i];
    if (counted instanceof Error) throw counted;
    rowCounts[tableKey(table)] = counted as number;
  }
  return rowCounts;
}

type AuditContent = Pick<Content, 'newestAuditEvent' | 'deletedAccounts'>;

/** The newest audit event and the accounts deleted since the dump, when the profile's audit log is there. */
async function readAudit(
  client: pg.ClientBase,
  profile: SchemaProfile,
  takenAt: string | null,
  notes: string[],
): Promise<AuditContent> {
  const audit = await detectAudit(client, profile);
  if (!audit.found) {
    notes.push(`newest audit event and accounts deleted since the dump: ${audit.why}`);
    return { newestAuditEvent: null, deletedAccounts: [] };
  }
  const table = qualifiedName(audit.table);
  const [action, at, target] = [profile.audit.action, profile.audit.createdAt, profile.audit.target].map(quoteIdent);
  const newest = (
    await client.query<{ at: Date | string; action: string }>(
      `SELECT ${at} AS at, ${action}::text AS action FROM ${table} WHERE ${at} IS NOT NULL ORDER BY ${at} DESC LIMIT 1`,
    )
  ).rows[0];
  const deletedAccounts: Inspection['deletedAccounts'] = [];
  if (!audit.hasTarget) {
    notes.push(`accounts deleted since the dump: ${tableLabel(audit.table)} has no column ${profile.audit.target}`);
  } else if (takenAt) {
    const deleted = await client.query<{ target: string | null; at: Date | string }>(
      `SELECT ${target}::text AS target, ${at} AS at FROM ${table}
        WHERE ${action}::text = $1 AND ${at} > $2 ORDER BY ${at}`,
      [profile.audit.deletionAction, takenAt],
    );
    for (const row of deleted.rows) {
      deletedAccounts.push({ id: (row.target ?? '?').replace(/^user:/, ''), at: new Date(row.at).toISOString() });
    }
  }
  const newestAuditEvent = newest ? { at: new Date(newest.at).toISOString(), action: newest.action } : null;
  return { newestAuditEvent, deletedAccounts };
}

async function readContent(client: pg.ClientBase, profile: SchemaProfile, takenAt: string | null): Promise<Content> {
  const notChecked: string[] = [];
  const rowCounts = await countProfileTables(client, profile.inspectTables);
  if (Object.keys(rowCounts).length === 0) {
    const named = profile.inspectTables.map(tableKey).join(', ') || '(none named)';
    notChecked.push(`row counts of the profile's tables: none of ${named} exists (PROFILE_INSPECT_TABLES)`);
  }
  const audit = await readAudit(client, profile, takenAt, notChecked);
  for (const [what, entry] of [
    ['application sessions', profile.sessions],
    ['accounts', profile.users],
  ] as const) {
    const found = await detectPlain(client, entry);
    if (!found.found) notChecked.push(`${what}: ${found.why}`);
  }
  const tables = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%'`,
  );
  return { rowCounts, ...audit, tables: tables.rows.map((r) => tableLabel(r)), notChecked };
}

/** The step's profile: the settings, with a runbook's tables/auditTable/deletionAction over them. */
function inspectProfile(params: InspectParams, ctx: ActionContext): SchemaProfile {
  const overrides: Record<string, string | undefined> = {
    PROFILE_INSPECT_TABLES: params.tables?.join(','),
    PROFILE_AUDIT_TABLE: params.auditTable,
    PROFILE_DELETION_ACTION: params.deletionAction,
  };
  return resolveProfile({ get: (name) => overrides[name] ?? ctx.settings.get(name) });
}

async function readSessions(
  target: PgTarget,
  exists: boolean,
  ownPid: number,
  signal: AbortSignal,
): Promise<SessionInfo[]> {
  if (!exists) return [];
  const admin = await connectMaintenance(target, signal);
  try {
    const rows = await admin.query<{
      pid: number;
      usename: string | null;
      application_name: string | null;
      client: string | null;
      state: string | null;
      since: Date | null;
    }>(
      `SELECT pid, usename, application_name, client_addr::text AS client, state, backend_start AS since
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND pid <> $2 ORDER BY backend_start`,
      [target.database, ownPid],
    );
    return rows.rows.map((r) => ({
      pid: r.pid,
      user: r.usename,
      application: r.application_name || null,
      client: r.client,
      state: r.state,
      since: r.since ? r.since.toISOString() : null,
    }));
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export function describeSession(s: SessionInfo): string {
  const who = `${s.user ?? '?'}${s.client ? `@${s.client}` : ''}${s.application ? ` (${s.application})` : ''}`;
  return `pid ${s.pid} ${who}${s.state ? `, ${s.state}` : ''}${s.since ? ` since ${formatTime(s.since)}` : ''}`;
}

export async function inspectTarget(params: InspectParams, ctx: ActionContext): Promise<Inspection> {
  const target = parseConnectionString(params.target);
  const { client, exists } = await connectTargetOrServer(target, ctx.signal);
  let sessions: Promise<SessionInfo[]> | undefined;
  try {
    const info = (
      await client.query<{ version: string; num: string; size: string | null; pid: number }>(
        `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
              (SELECT pg_database_size(oid)::text FROM pg_database WHERE datname = $1) AS size,
              pg_backend_pid() AS pid`,
        [target.database],
      )
    ).rows[0];
    // The sessions are read on a second connection while this one reads the rest.
    sessions = readSessions(target, exists, info?.pid ?? 0, ctx.signal);
    sessions.catch(() => undefined);
    const serverVersionNum = Number(info?.num ?? 0);
    const dumpNum = params.dump?.manifest?.source.serverVersionNum ?? params.dump?.archive.dumpedFromNum ?? null;
    if (dumpNum !== null && Math.floor(serverVersionNum / 10_000) < Math.floor(dumpNum / 10_000)) {
      throw new StepFailedError(
        `the target server runs PostgreSQL ${info?.version}, older than the dump's source ` +
          `(${params.dump?.manifest?.source.serverVersion ?? params.dump?.archive.dumpedFrom}): ` +
          `refusing to restore (nothing was changed)`,
        `restore onto a server of PostgreSQL ${Math.floor(dumpNum / 10_000)} or newer`,
      );
    }
    const rights = await roleRights(client, target.database);
    const { mode, reason } = decideMode(params.mode, rights, exists, target.label);
    const empty: Content = { rowCounts: {}, newestAuditEvent: null, deletedAccounts: [], tables: [], notChecked: [] };
    const takenAt = params.dump?.takenAt ?? null;
    const content = exists ? await readContent(client, inspectProfile(params, ctx), takenAt) : empty;
    const inDump = new Set(params.dump?.archive.tableData ?? []);
    return {
      label: target.label,
      database: target.database,
      exists,
      mode,
      modeReason: reason,
      serverVersion: info?.version ?? '?',
      serverVersionNum,
      systemIdentifier: await systemIdentifier(client),
      owner: rights.owner,
      sizeBytes: info?.size ? Number(info.size) : null,
      rowCounts: content.rowCounts,
      newestAuditEvent: content.newestAuditEvent,
      sessions: await sessions,
      deletedAccounts: content.deletedAccounts,
      extraTables: params.dump ? content.tables.filter((t) => !inDump.has(t)) : [],
      notChecked: content.notChecked,
    };
  } finally {
    // Ignored here: a failed reading of the sessions is reported by the `await sessions` above.
    await sessions?.catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** The lines the confirmation shows: what is replaced, how, who is disconnected, what is lost, what comes back. */
export function confirmationDetails(
  inspection: Inspection,
  dump: VerifiedDump | undefined,
  beforeName: string,
): string[] {
  const lines: string[] = [];
  const dumpLine = dump
    ? `${dump.name} ` +
      `taken ${formatTime(dump.takenAt)}` +
      `${dump.manifest ? ` (era ${dump.manifest.keyEras.map((e) => e.label).join('+') || '?'})` : ' (no manifest)'}`
    : 'the dump';
  if (!inspection.exists) {
    lines.push(`create the database ${inspection.label} (it does not exist) from ${dumpLine}`);
  } else {
    const size = inspection.sizeBytes !== null ? `, ${formatBytes(inspection.sizeBytes)}` : '';
    lines.push(
      `REPLACE the database ${inspection.label} (PostgreSQL ${inspection.serverVersion}, ` +
        `system ${inspection.systemIdentifier}${size}) with ${dumpLine}`,
    );
    lines.push(
      inspection.mode === 'swap'
        ? `swap mode: restored beside it, then renamed; the current database is kept as ${beforeName} ` +
            `until dropped by an explicit step`
        : 'in-place mode: a pre-restore safety dump first, then one pg_restore --clean in one transaction',
    );
    const counts = Object.entries(inspection.rowCounts)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    if (counts) lines.push(`now in the target: ${counts}`);
  }
  if (inspection.sessions.length > 0) {
    lines.push(`${inspection.sessions.length} session(s) will be ended:`);
    for (const s of inspection.sessions) lines.push(`  ${describeSession(s)}`);
  } else if (inspection.exists) {
    lines.push('no session is connected to it now (any that connects before the swap is ended too)');
  }
  if (
    dump?.takenAt &&
    inspection.newestAuditEvent &&
    Date.parse(inspection.newestAuditEvent.at) > Date.parse(dump.takenAt)
  ) {
    lines.push(
      `data written after ${formatTime(dump.takenAt)} is lost: the newest audit event ` +
        `is ${inspection.newestAuditEvent.action} at ${formatTime(inspection.newestAuditEvent.at)} ` +
        `(${formatSpan(Date.parse(inspection.newestAuditEvent.at) - Date.parse(dump.takenAt))} later)`,
    );
  }
  if (inspection.deletedAccounts.length > 0) {
    lines.push(
      `GDPR: ${inspection.deletedAccounts.length} account(s) deleted after the dump come back and ` +
        `must be erased again: ${inspection.deletedAccounts.map((d) => d.id).join(', ')}`,
    );
  }
  if (inspection.extraTables.length > 0 && inspection.mode === 'in-place') {
    lines.push(`tables not in the dump stay as they are: ${inspection.extraTables.join(', ')}`);
  }
  return lines;
}
