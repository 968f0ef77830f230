/** Ending the sessions connected to a database (they hold it open: a rename and a restore need it free). */
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { StepFailedError } from '../core/errors.js';

export async function endSessions(admin: pg.ClientBase, database: string, waitMs = 10_000): Promise<number[]> {
  // pg_terminate_backend in the select list, never in WHERE: the planner may evaluate a WHERE function before
  // the other conditions, i.e. for every session of the server.
  const ended = await admin.query<{ pid: number; ended: boolean }>(
    `SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1 AND ` +
      `pid <> pg_backend_pid()`,
    [database],
  );
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = await admin.query<{ pid: number; usename: string | null }>(
      `SELECT pid, usename FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    if (left.rows.length === 0) break;
    if (Date.now() > deadline) {
      throw new StepFailedError(
        `${left.rows.length} session(s) on ${database} could not be ended ` +
          `(pids ${left.rows.map((r) => `${r.pid} ${r.usename ?? '?'}`).join(', ')})`,
        "this role may not end other roles' sessions: connect as the superuser or a member of " +
          'pg_signal_backend, or stop those clients (APP_STOP_COMMAND)',
      );
    }
    // Sessions connecting meanwhile (a pool reconnecting) are ended too.
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    await sleep(200);
  }
  return ended.rows.filter((r) => r.ended).map((r) => r.pid);
}
