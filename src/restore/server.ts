/**
 * Connections to the restore target's server: to the target database itself, or, when it does not exist (the
 * database is gone) or must not be used (it is about to be renamed), to a maintenance database of the same
 * server with the same credentials (`postgres`, else `template1`).
 */
import type pg from 'pg';
import { connect } from '../pg/client.js';
import { PgConnectionError } from '../pg/errors.js';
import type { PgTarget } from '../pg/target.js';
import { formatLabel } from '../pg/target.js';

export const MAINTENANCE_DATABASES = ['postgres', 'template1'] as const;

export function onDatabase(target: PgTarget, database: string): PgTarget {
  return { ...target, database, label: formatLabel(target.host, target.port, database) };
}

/** A client on a maintenance database of the target's server (never the target database). */
export async function connectMaintenance(target: PgTarget, signal?: AbortSignal): Promise<pg.Client> {
  let last: unknown;
  for (const name of MAINTENANCE_DATABASES) {
    if (name === target.database) continue;
    try {
      return await connect(onDatabase(target, name), signal);
    } catch (error) {
      last = error;
      if (!(error instanceof PgConnectionError) || error.problem !== 'no-database') throw error;
    }
  }
  throw last;
}

/** The target database when it exists, else a maintenance database (`exists: false`). */
export async function connectTargetOrServer(
  target: PgTarget,
  signal?: AbortSignal,
): Promise<{ client: pg.Client; exists: boolean }> {
  try {
    return { client: await connect(target, signal), exists: true };
  } catch (error) {
    if (!(error instanceof PgConnectionError) || error.problem !== 'no-database') throw error;
    return { client: await connectMaintenance(target, signal), exists: false };
  }
}

/** The server's system identifier (`unknown` when the role may not read pg_control_system()). */
export async function systemIdentifier(client: pg.ClientBase): Promise<string> {
  try {
    const row = (await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()'))
      .rows[0];
    return row?.id ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
